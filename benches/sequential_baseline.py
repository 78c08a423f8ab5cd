"""The user's alternative to member-sync, for benchmark P3: the loop in Tallyfy's API docs.

Modelled on the Python sample there: read the CSV, list the organization's members to find
each row's user id, then PUT every row in turn, one request after the other, with no diff
and no retries. Standard library only (urllib), as a user without extra packages would.

usage: sequential_baseline.py BASE_URL ORG_ID TOKEN INPUT.csv
Prints the number of requests sent on stdout.
"""

import csv
import json
import sys
import urllib.request

base_url, org_id, token, input_path = sys.argv[1:5]
headers = {
    "Authorization": f"Bearer {token}",
    "Accept": "application/json",
    "Content-Type": "application/json",
    "X-Tallyfy-Client": "APIClient",
}
requests_sent = 0


def call(method, path, body=None):
    global requests_sent
    requests_sent += 1
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base_url}/organizations/{org_id}{path}", data=data, headers=headers, method=method
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


# 1. List the members, page by page, to map emails to user ids.
ids = {}
page = 1
while True:
    answer = call("GET", f"/users?page={page}&per_page=100")
    for member in answer["data"]:
        ids[member["email"].lower()] = member["id"]
    pagination = answer["meta"]["pagination"]
    if pagination["current_page"] >= pagination["total_pages"]:
        break
    page += 1

# 2. PUT every row, changed or not.
with open(input_path, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        user_id = ids[row["email"].strip().lower()]
        body = {k: row[k] for k in ("first_name", "last_name", "timezone", "job_title", "team")}
        call("PUT", f"/users/{user_id}", body)

print(requests_sent)

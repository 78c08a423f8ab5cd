//! A run that writes groups (#20): each group's line is shown by its group's name, with the
//! members it added and removed by email (the report's rows name them; one without a row by
//! id), never as a field change; each row's groups beside its changes; and the headline counts
//! rows and groups apart, as the summary line does. A group's name is anyone's to type in
//! Tallyfy, so a hostile one is text in the page.

use member_sync::sandbox::SandboxConfig;

use crate::groups::export;

use super::hostile::tags;
use super::*;

/// A group name that is markup where it is not escaped.
pub(super) const HOSTILE_GROUP: &str = "<img src=x onerror=alert(1)>";
pub(super) const HOSTILE_SHOWN: &str = "&lt;img src=x onerror=alert(1)&gt;";

/// Sales holds 1, 2 and 5 (5 has no row), the hostile group 3; the export moves 2 from Sales
/// to the hostile group and places 4 in Sales: Sales +4 -2 -5, the hostile group +2. Sales
/// may lose 2 members (`--max-group-removals 2`, unless `extra` says otherwise).
pub(super) fn group_run(org: &TestOrg, html: &Path, extra: &[&str]) -> Run {
    let input = export(
        org,
        &[
            (1, "Sales"),
            (2, HOSTILE_GROUP),
            (3, HOSTILE_GROUP),
            (4, "sales"),
        ],
    );
    let html = html.to_str().unwrap();
    let mut args = vec!["--groups-from", "Groups", "--html", html];
    args.extend(match extra {
        [] => &["--max-group-removals", "2"],
        extra => extra,
    });
    org.apply(&input, &args)
}

/// The org [`group_run`] runs against.
pub(super) fn group_org(config: SandboxConfig) -> TestOrg {
    TestOrg::with_groups(
        config,
        generated_seed(6),
        &[("Sales", &[1, 2, 5]), (HOSTILE_GROUP, &[3])],
    )
}

#[test]
fn a_group_line_is_shown_by_its_name_with_its_members_added_and_removed() {
    let org = group_org(SandboxConfig::default());
    let html = org.path("groups.html");
    group_run(&org, &html, &[]).assert_code(0);
    let page = page(&html);

    // Rows and groups apart, as the summary line counts them.
    at(&page, "<dt>rows</dt><dd>4</dd><dt>groups</dt><dd>2</dd>");

    // The groups written, in the changes: by name, who joined and who left, the sizes.
    let changes = at(&page, "id=\"changes\"");
    let groups = at(&page, "<h3>groups (2)</h3>");
    let hostile = at(
        &page,
        &format!(
            "<td>{HOSTILE_SHOWN}</td><td>updated</td><td>group</td>\
             <td>person2@gen.example</td><td></td><td class=\"num\">1 → 2</td>"
        ),
    );
    let sales = at(
        &page,
        "<td>Sales</td><td>updated</td><td>group</td>\
         <td>person4@gen.example</td><td>person2@gen.example, id 5</td>\
         <td class=\"num\">3 → 2</td>",
    );
    let rest = at(&page, "id=\"rest\"");
    assert!(changes < groups && groups < hostile && hostile < sales && sales < rest);
    // The member lists are not a field that changed.
    assert!(!page.contains("<h3>members"), "{page}");
    assert!(!page.contains("{&quot;members&quot;"), "{page}");

    // Each row's groups, beside its changes.
    at(
        &page,
        &format!("<td>groups: joins {HOSTILE_SHOWN}; leaves Sales</td>"),
    );
    at(&page, "<td>groups: joins Sales</td>");

    // The hostile name is text: no tag of the page is an image, nothing has a handler.
    for tag in tags(&page) {
        let lower = tag.to_ascii_lowercase();
        assert!(!lower.starts_with("<img"), "{tag}");
        assert!(!lower.contains(" onerror"), "{tag}");
    }
}

#[test]
fn a_group_write_that_failed_is_in_needs_attention_by_its_name() {
    let config = SandboxConfig {
        manage_groups: false,
        ..SandboxConfig::default()
    };
    let org = group_org(config);
    let html = org.path("refused.html");
    group_run(&org, &html, &[]).assert_code(3);
    let page = page(&html);

    let attention = at(&page, "id=\"attention\"");
    let failed = at(
        &page,
        "<h3><span class=\"swatch o-failed\"></span>failed (2)</h3>",
    );
    let hostile = at(&page, &format!("<td>group {HOSTILE_SHOWN}</td>"));
    let sales = at(&page, "<td>group Sales</td>");
    let reason = at(&page, "manage_groups permission");
    let changes = at(&page, "id=\"changes\"");
    assert!(attention < failed && failed < hostile && hostile < sales && sales < changes);
    assert!(reason < changes);
    // Nothing was written: no group among the changes.
    assert!(!page.contains("<h3>groups ("), "{page}");
}

#[test]
fn a_run_the_group_removal_guard_stopped_shows_the_groups_it_would_have_written() {
    let org = group_org(SandboxConfig::default());
    let html = org.path("guarded.html");
    // Sales would lose 2 of its 3 members; 1 is allowed.
    let run = group_run(&org, &html, &["--max-group-removals", "1"]);
    run.assert_code(4);
    let page = page(&html);

    at(&page, "exit code 4: max group removals guard: ");
    at(&page, "<dt>rows</dt><dd>4</dd><dt>groups</dt><dd>2</dd>");
    at(
        &page,
        "<td>Sales</td><td>planned</td><td>group</td>\
         <td>person4@gen.example</td><td>person2@gen.example, id 5</td>",
    );
    at(&page, &format!("<td>{HOSTILE_SHOWN}</td><td>planned</td>"));
}

//! P1 for groups (#20): a group sync sends the member list pages, the group list pages, a
//! group read again only when the plan is old, and one write per group whose members change:
//! nothing per row, nothing for a group left as it is.
//!
//! The organization is P1's, with `departments` groups `Dept 001`… holding every member by
//! `id % departments`, plus 20 groups the export never names. The export moves `movers`
//! members to the next department: each mover changes two groups (some shared).

use std::collections::BTreeSet;

use member_sync::sandbox::{SandboxConfig, SandboxGroup};

use crate::org::write_input_with;
use crate::scenarios::{Bench, Row};

/// The groups of the scenario and the input's department of each member.
struct Departments {
    count: u64,
    movers: u64,
}

impl Departments {
    fn name(n: u64) -> String {
        format!("Dept {:03}", n + 1)
    }

    fn before(&self, id: u64) -> u64 {
        id % self.count
    }

    /// Members 1..=movers move to the next department.
    fn after(&self, id: u64) -> u64 {
        match id <= self.movers {
            true => (id + 1) % self.count,
            false => self.before(id),
        }
    }

    fn groups(&self, members: u64) -> Vec<SandboxGroup> {
        let mut groups: Vec<SandboxGroup> = (0..self.count)
            .map(|n| {
                let ids: Vec<u64> = (1..=members).filter(|id| self.before(*id) == n).collect();
                SandboxGroup::new(&Departments::name(n), &ids)
            })
            .collect();
        groups.extend((1..=20).map(|n| SandboxGroup::new(&format!("Club {n:02}"), &[n])));
        groups
    }

    /// Groups whose members the export changes.
    fn changed(&self, members: u64) -> u64 {
        let moved: BTreeSet<u64> = (1..=members.min(self.movers))
            .flat_map(|id| [self.before(id), self.after(id)])
            .collect();
        moved.len() as u64
    }
}

impl Bench<'_> {
    pub(crate) fn p1_groups(&mut self) -> Row {
        let work = self.sizes.p1;
        let departments = Departments {
            count: self.sizes.p1_departments,
            movers: self.sizes.p1_movers,
        };
        let config = SandboxConfig {
            groups: departments.groups(work.members),
            ..SandboxConfig::default()
        };
        let mut org = self.org("P1 groups", config, work);
        org.input = org.input.with_file_name("departments.csv");
        // A `Groups` column, not `Department`, which is also the `team` field.
        let department = |id: u64| Departments::name(departments.after(id));
        write_input_with(&org.input, work, Some(("Groups", &department)));
        let run = org.apply(
            "200/s",
            &["--groups-from", "Groups", "--max-group-removals", "100%"],
        );
        self.check("P1 groups", &org, &run, false);
        let group_count = departments.count + 20;
        let group_pages = group_count.div_ceil(100);
        let changed = departments.changed(work.members);
        let minimal = work.minimal_requests() + group_pages + changed;
        let group_requests = run.count(|e| e.path.contains("/groups"));
        let converged = org.sandbox.groups().iter().all(|group| {
            let name = group["name"].as_str().unwrap_or("");
            let members: Vec<u64> = group["members"]
                .as_array()
                .map(|ids| ids.iter().filter_map(|id| id.as_u64()).collect())
                .unwrap_or_default();
            match (0..departments.count).find(|n| Departments::name(*n) == name) {
                Some(n) => {
                    members.iter().all(|id| departments.after(*id) == n)
                        && (1..=work.members)
                            .filter(|id| departments.after(*id) == n)
                            .count()
                            == members.len()
                }
                None => members.len() == 1,
            }
        });
        if !converged {
            self.broken
                .push("P1 groups: a group does not hold the members the input places there".into());
        }
        if run.requests() != minimal {
            self.broken.push(format!(
                "P1 groups: {} requests, expected {minimal}",
                run.requests()
            ));
        }
        Row {
            target: format!(
                "P1 groups ({} rows, {group_count} groups, {} movers changing {changed} groups; {} changes + {} role changes)",
                work.members, departments.movers, work.changes, work.role_changes
            ),
            measured: format!(
                "{} requests sent, {group_requests} of them for groups (minimal: {} member pages + {group_pages} group pages + {changed} group writes + {} member writes = {minimal})",
                run.requests(),
                work.pages(),
                work.changes + work.role_changes
            ),
            ratio: format!("{:.3}", run.requests() as f64 / minimal as f64),
            goal: "= 1 exactly".into(),
            met: run.requests() == minimal && converged,
        }
    }
}

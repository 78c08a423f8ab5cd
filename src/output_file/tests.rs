use super::*;

fn summary_check(bytes: &[u8]) -> bool {
    bytes.starts_with(b"{\"summary\"")
}

fn summary(path: &Path) -> Output<'_> {
    Output {
        path,
        what: "summary",
        flag: "--summary-json",
        if_exists: IfExists::ReplaceIf {
            check: summary_check,
            expected: "a summary of an earlier run",
        },
        overwrite_flag: None,
    }
}

#[test]
fn a_refusing_output_never_replaces_and_a_replacing_one_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    Output::plan(&path, false).write(b"first").unwrap();
    let refused = Output::plan(&path, false).write(b"second").unwrap_err();
    assert_eq!(
        refused.message,
        format!("cannot write the plan {}: it exists", path.display())
    );
    assert_eq!(
        refused.hint.as_deref(),
        Some("choose another path for --out, or add --overwrite to replace it")
    );
    assert_eq!(fs::read(&path).unwrap(), b"first");
    Output::plan(&path, true).write(b"third").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"third");
    // No temporary file is left beside it.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn the_summary_replaces_only_what_its_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("last.json");
    summary(&path).write(b"{\"summary\": 1}").unwrap();
    summary(&path).write(b"{\"summary\": 2}").unwrap();
    fs::write(&path, "people").unwrap();
    let refused = summary(&path).write(b"{\"summary\": 3}").unwrap_err();
    assert!(
        refused
            .message
            .ends_with("it is not a summary of an earlier run"),
        "{refused:?}"
    );
    assert_eq!(fs::read(&path).unwrap(), b"people");
}

#[test]
fn a_failed_fill_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    let failed = Output::export(&path, false)
        .write_with(|_| Err(io::Error::other("disk full")))
        .unwrap_err();
    assert!(failed.message.ends_with("disk full"), "{failed:?}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn each_cause_has_its_own_hint() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone");
    let refused = Output::report(&missing.join("r.csv")).check().unwrap_err();
    assert_eq!(
        refused.hint.unwrap(),
        format!(
            "the directory {} does not exist: create it, or choose another --report",
            missing.display()
        )
    );
    let refused = Output::report(dir.path()).create_new().unwrap_err();
    assert!(
        refused.message.ends_with("it is a directory"),
        "{refused:?}"
    );
    assert!(refused.hint.unwrap().contains("--report-dir"));
    let denied = Output::report(Path::new("/r.csv")).refused(Cause::of(
        Path::new("/r.csv"),
        io::ErrorKind::PermissionDenied.into(),
    ));
    assert_eq!(
        denied.message,
        "cannot write the report /r.csv: permission denied"
    );
    assert!(
        denied
            .hint
            .unwrap()
            .starts_with("this user may not create files in /:")
    );
}

#[cfg(unix)]
#[test]
fn links_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    fs::write(&target, "kept").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for output in [
        Output::plan(&link, true),
        Output::report(&link),
        summary(&link),
    ] {
        let refused = output.write(b"x").unwrap_err();
        assert!(
            refused.message.ends_with("it is a symbolic link"),
            "{refused:?}"
        );
    }
    assert!(Output::report(&link).create_new().is_err());
    assert_eq!(fs::read(&target).unwrap(), b"kept");
}

#[cfg(unix)]
#[test]
fn files_and_new_directories_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let nested = dir.path().join("a/b");
    create_private_dir_all(&nested).unwrap();
    assert_eq!(mode(&dir.path().join("a")), 0o700);
    assert_eq!(mode(&nested), 0o700);
    let whole = nested.join("whole.json");
    Output::plan(&whole, false).write(b"{}").unwrap();
    assert_eq!(mode(&whole), 0o600);
    let streamed = nested.join("report.csv");
    Output::report(&streamed).create_new().unwrap();
    assert_eq!(mode(&streamed), 0o600);
}

#[test]
fn outputs_stay_apart_from_each_other_and_from_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    fs::write(&input, "email\n").unwrap();
    let report = dir.path().join("r.csv");
    let same_report = dir.path().join("sub/../r.csv");
    fs::create_dir(dir.path().join("sub")).unwrap();
    let inputs = [Input {
        path: &input,
        what: "the input",
    }];

    let err = check_apart(&[Output::report(&report), summary(&same_report)], &inputs).unwrap_err();
    assert_eq!(
        err.message,
        format!(
            "--report and --summary-json name the same file {}",
            same_report.display()
        )
    );
    let err = check_apart(&[Output::plan(&input, true)], &inputs).unwrap_err();
    assert_eq!(
        err.message,
        format!("--out names the input {}", input.display())
    );
    #[cfg(unix)]
    {
        let hard = dir.path().join("hard-link.csv");
        fs::hard_link(&input, &hard).unwrap();
        assert!(check_apart(&[summary(&hard)], &inputs).is_err());
    }
    let stdin = [Input {
        path: Path::new("-"),
        what: "the input",
    }];
    assert!(check_apart(&[Output::report(&report), summary(&input)], &stdin).is_ok());
}

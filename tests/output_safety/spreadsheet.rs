//! Item 9 checked with a real spreadsheet engine: LibreOffice Calc opens the export and the
//! computed cells are the text written, not `2` or a live link.
//!
//! LibreOffice is not installed by CI (`.ci/run`): it is a few hundred megabytes from the
//! system's packages, not from crates.io. Where `soffice` is missing this test says so on the
//! terminal (past the test harness's capture) and passes; docs/report.md has the command to
//! run it by hand (`apt-get install libreoffice-calc-nogui`).

use std::io::Write as _;
use std::process::Command;

use super::*;

#[test]
fn libreoffice_shows_exported_formulas_as_text() {
    let Some(soffice) = find_soffice() else {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED output_safety::spreadsheet: `soffice` (LibreOffice) is not installed; \
             the export was not opened in a spreadsheet. Install libreoffice-calc-nogui to run \
             it (docs/report.md, \"Checking it in a spreadsheet\"). ***\n"
        );
        return;
    };
    let org = org_with_formula_titles();
    let out = org.path("members.csv");
    export(&org, &["--out", out.to_str().unwrap()]).assert_code(0);

    let computed = open_in_calc(&soffice, &org, &out);

    let written = column_by(&out, "user_id", "job_title");
    let shown = column_by(&computed, "user_id", "job_title");
    for id in (1001..1001 + FORMULA_TITLES.len() as u64).map(|id| id.to_string()) {
        assert_eq!(
            shown[&id], written[&id],
            "member {id}: Calc computed the cell"
        );
    }
}

/// `soffice` on the PATH (or where Debian puts it).
fn find_soffice() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("soffice"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let debian = PathBuf::from("/usr/lib/libreoffice/program/soffice");
        debian.is_file().then_some(debian)
    })
}

/// The file as Calc computes it: converted to CSV by LibreOffice headless (formulas evaluated
/// on import, as when the file is opened), each cell as Calc shows it.
fn open_in_calc(soffice: &Path, org: &TestOrg, file: &Path) -> PathBuf {
    let converted = org.path("calc");
    // A profile of its own, so that a LibreOffice already running is not disturbed.
    let profile = format!("file://{}", org.path("lo-profile").display());
    let status = Command::new(soffice)
        .arg(format!("-env:UserInstallation={profile}"))
        // CSV in and out: comma, double quote, UTF-8 (76); out, each cell as shown.
        .args(["--headless", "--norestore", "--infilter=CSV:44,34,76,1"])
        .arg("--convert-to")
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true")
        .arg("--outdir")
        .arg(&converted)
        .arg(file)
        .env("HOME", org.path("lo-home"))
        .output()
        .expect("soffice runs");
    let result = converted.join(file.file_name().unwrap());
    assert!(
        result.is_file(),
        "soffice did not convert {}: {}",
        file.display(),
        String::from_utf8_lossy(&status.stderr)
    );
    result
}

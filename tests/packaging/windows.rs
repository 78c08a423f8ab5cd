//! The Task Scheduler task and its PowerShell wrapper: neither can run here (no Windows, no
//! PowerShell), so what can be checked is checked: the XML is well-formed and starts the
//! wrapper with parameters it declares, and the wrapper passes flags the binary accepts.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{assert_accepted, repo_file};

/// The text of every `<name>` element of `xml`, which must be well-formed to the end.
fn element_texts(xml: &str, name: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let (mut texts, mut depth, mut inside) = (Vec::new(), 0usize, false);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                depth += 1;
                inside = start.name().as_ref() == name;
            }
            Event::Text(text) if inside => texts.push(text.xml10_content().into_owned()),
            Event::End(_) => {
                depth = depth.checked_sub(1).expect("balanced tags");
                inside = false;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    texts
}

/// The parameters a PowerShell script declares: `[type] $Name` in its `param(...)` block.
fn declared_parameters(script: &str) -> Vec<String> {
    let start = script.find("param(").expect("a param block");
    let end = start + script[start..].find("\n)").expect("the param block's end");
    script[start..end]
        .split('$')
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

#[test]
fn the_task_is_well_formed_xml_that_starts_the_wrapper_with_parameters_it_declares() {
    let xml = repo_file("packaging/windows/member-sync-task.xml");
    let script = repo_file("packaging/windows/Run-MemberSync.ps1");
    let declared = declared_parameters(&script);
    assert!(declared.contains(&"Export".to_string()), "{declared:?}");

    let arguments = element_texts(&xml, "Arguments");
    assert_eq!(arguments.len(), 1, "one action: {arguments:?}");
    let after_file = arguments[0]
        .split_once("Run-MemberSync.ps1\"")
        .expect("-File names the wrapper")
        .1;
    let passed: Vec<&str> = after_file
        .split_whitespace()
        .filter_map(|word| word.strip_prefix('-'))
        .collect();
    assert!(!passed.is_empty(), "{after_file}");
    for name in passed {
        assert!(
            declared.iter().any(|d| d == name),
            "the task passes -{name}, which Run-MemberSync.ps1 does not declare ({declared:?})"
        );
    }
    let policy = element_texts(&xml, "MultipleInstancesPolicy");
    assert_eq!(policy, ["IgnoreNew"], "never two runs at once");
}

#[test]
fn the_powershell_wrapper_passes_flags_the_binary_accepts() {
    let script = repo_file("packaging/windows/Run-MemberSync.ps1");
    let mut args = vec!["apply".to_string()];
    args.extend(
        script
            .split('\'')
            .filter(|quoted| quoted.starts_with("--") && !quoted.contains(' '))
            .map(String::from),
    );
    assert!(args.len() > 4, "{args:?}");
    assert_accepted("Run-MemberSync.ps1", &args);
}

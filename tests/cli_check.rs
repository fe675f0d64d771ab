//! The `loopback check` command on valid and invalid LB3 model files.

use std::process::Command;

fn loopback(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_loopback"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the loopback binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn valid_application_folder_passes() {
    let (code, stdout, _) = loopback(&["check", "tests/fixtures/cli/app"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("note.json: ok (model Note, 2 properties, 0 relations)"),
        "{stdout}"
    );
    assert!(stdout.contains("1 model file(s) valid"), "{stdout}");
}

#[test]
fn syntax_error_names_file_line_and_column() {
    let (code, _, stderr) = loopback(&["check", "tests/fixtures/cli/bad/syntax.json"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("syntax.json: invalid model definition at `line 4 column 32`"),
        "{stderr}"
    );
}

#[test]
fn unknown_relation_type_names_the_key() {
    let (code, _, stderr) = loopback(&["check", "tests/fixtures/cli/bad/relation.json"]);
    assert_eq!(code, 1);
    assert!(
        stderr
            .contains("relation.json: invalid model definition at `Order.relations.customer.type`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown relation type `belongsTwo`"),
        "{stderr}"
    );
}

#[test]
fn missing_path_and_usage_errors() {
    let (code, _, stderr) = loopback(&["check", "tests/fixtures/cli/nowhere"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no such file or directory"), "{stderr}");
    let (code, _, stderr) = loopback(&["frobnicate"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown command"), "{stderr}");
    let (code, stdout, _) = loopback(&["--version"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("loopback "));
}

//! The README's answer table says what the code does: every `Rejection` has a row with its
//! HTTP status, `ErrorCode` and TRTC answer, and no row names a code the code does not have.

use tencent_webhook::Rejection;

const README: &str = include_str!("../README.md");

fn table_rows() -> Vec<Vec<String>> {
    let start = README
        .find("## What each answer means")
        .expect("README has the answer table section");
    README[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| case"))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn every_rejection_has_its_row() {
    let rows = table_rows();
    assert!(rows.len() >= Rejection::ALL.len(), "{rows:?}");
    for rejection in Rejection::ALL {
        let code = rejection.error_code().to_string();
        let row = rows
            .iter()
            .find(|r| r.get(3) == Some(&code))
            .unwrap_or_else(|| panic!("README has no row for {rejection:?} ({code})"));
        assert_eq!(
            row[1],
            rejection.status().as_u16().to_string(),
            "{rejection:?}"
        );
        assert_eq!(row[2], "FAIL", "{rejection:?}");
        assert_eq!(
            row[4],
            format!("`{} {{\"code\":{code},…}}`", rejection.status().as_u16()),
            "{rejection:?}: the TRTC answer column"
        );
    }
}

#[test]
fn no_row_names_an_unknown_code() {
    let known: Vec<String> = Rejection::ALL
        .iter()
        .map(|r| r.error_code().to_string())
        .collect();
    for row in table_rows() {
        let code = &row[3];
        if code.chars().all(|c| c.is_ascii_digit()) && code != "0" {
            assert!(
                known.contains(code),
                "README row {row:?} names an unknown code"
            );
        }
    }
}

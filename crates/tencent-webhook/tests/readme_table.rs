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

/// The TUILiveKit table names every command this version types, with the variant it
/// decodes into and whether it is a before-webhook.
#[cfg(feature = "test-util")]
#[test]
fn every_typed_command_is_in_the_tuilivekit_table() {
    use tencent_webhook::test_util::{samples, webhook};
    use tencent_webhook::{EventKind, command};

    let start = README
        .find("## TUILiveKit commands")
        .expect("README has the TUILiveKit section");
    let rows: Vec<&str> = README[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| command"))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .collect();
    for name in command::TYPED {
        let row = rows
            .iter()
            .find(|r| {
                r.contains(&format!("`{name}`")) || r.contains(&name[name.find('.').unwrap()..])
            })
            .unwrap_or_else(|| panic!("README table has no row for {name}"));
        let kind = EventKind::of_command(name);
        assert_eq!(row.contains("**yes**"), kind.is_before_webhook(), "{name}");
    }
    // The variant named in each family row is the one its sample decodes into.
    for (sample, cmd, body) in samples::ALL {
        let kind = webhook(1, cmd, body).unwrap().event.kind();
        if kind == EventKind::Unknown || kind == EventKind::Recording {
            continue;
        }
        let row = rows
            .iter()
            .find(|r| r.starts_with(&format!("| `{cmd}`")))
            .unwrap_or_else(|| panic!("no row for {sample}"));
        assert!(row.contains(&format!("| `{kind:?}`")), "{sample}: {row}");
    }
}

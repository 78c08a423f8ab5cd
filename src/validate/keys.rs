//! Member keys: the user id or email that says which member a row is about.
//!
//! A user id wins over an email, and a row whose user id is unreadable is invalid rather than
//! silently matched by email: falling back would be a guess. Rows sharing a key are all
//! refused, for the same reason: we never pick which of two rows "wins".

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::MemberKey;
use super::chars::{self, Allowed};

/// A positive whole number.
pub fn parse_user_id(cell: &str) -> Result<u64, String> {
    match cell.parse::<u64>() {
        Ok(id) if id > 0 && cell.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err("must be a positive whole number (the member's Tallyfy id)".to_string()),
    }
}

/// A lower-cased email, checked simply: exactly one `@`, something before it without the
/// characters that only appear around an address (`<>()[],;:"`), a domain of letters, digits,
/// `-`, `_` and dots (a dot neither first, last nor doubled, at least one), and no white space
/// anywhere. Invisible and control characters are refused by name: they make an address that
/// looks right find nobody. The server (and the member lookup) is the real judge; this only
/// catches cells that are clearly not addresses.
pub fn parse_email(cell: &str) -> Result<String, String> {
    if let Some(rule) = chars::check(cell, Allowed::Visible) {
        return Err(rule);
    }
    let rule = || "is not an email address (expected name@example.com)".to_string();
    if cell.contains(char::is_whitespace) {
        return Err(rule());
    }
    let Some((local, domain)) = cell.split_once('@') else {
        return Err(rule());
    };
    let local_ok = !local.is_empty() && !local.contains(|c| "<>()[],;:\"\\".contains(c));
    // Byte by byte: these are ASCII characters, which never occur inside another character.
    let domain = domain.as_bytes();
    let domain_ok = domain.contains(&b'.')
        && domain
            .iter()
            .all(|&b| !b.is_ascii() || b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && domain.first() != Some(&b'.')
        && domain.last() != Some(&b'.')
        && !domain.windows(2).any(|pair| pair == b"..");
    if !local_ok || !domain_ok {
        return Err(rule());
    }
    Ok(crate::fields::lowercase(cell).into_string())
}

/// An email cell as exports and mail clients write them: `<ann@x.com>`, `mailto:ann@x.com`,
/// `Ann Lee <ann@x.com>`. The address is read out of its wrapping, with a note saying what
/// was dropped (a warning on the row); a wrapping that could hold two addresses (`bob@x.com
/// <ann@x.com>`) is left as it is, and refused by [`parse_email`].
pub fn read_email(cell: &str) -> Result<(String, Option<String>), String> {
    let (address, dropped) = unwrap_email(cell);
    let email = parse_email(address)?;
    let note = dropped.map(|dropped| format!("read {email:?} from {cell:?}: {dropped}"));
    Ok((email, note))
}

/// The address inside a cell's wrapping, and what the wrapping was, in words.
fn unwrap_email(cell: &str) -> (&str, Option<&'static str>) {
    let mut address = cell;
    let mut angle = None;
    if let Some(open) = cell.find('<')
        && let Some(inside) = cell[open + 1..].strip_suffix('>')
    {
        // A name before the brackets, if any, holds no address of its own.
        let name = cell[..open].trim();
        if !name.contains(['<', '>', '@']) && !inside.contains(['<', '>']) {
            address = inside.trim();
            angle = Some(name.is_empty());
        }
    }
    let mailto = address
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("mailto:"));
    if mailto {
        address = &address[7..];
    }
    let dropped = match (angle, mailto) {
        (None, false) => return (cell, None),
        (None, true) => "the mailto: prefix was dropped",
        (Some(true), false) => "the angle brackets were dropped",
        (Some(false), false) => "the name and angle brackets were dropped",
        (Some(true), true) => "the angle brackets and the mailto: prefix were dropped",
        (Some(false), true) => "the name, angle brackets and mailto: prefix were dropped",
    };
    (address, Some(dropped))
}

/// Positions that share one key, in order (at least two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedKey {
    /// The key is an email (else a user id), for the summary line.
    pub is_email: bool,
    pub positions: Vec<usize>,
}

/// Every key that more than one entry has, with the positions that have it, in order of their
/// first position. Unique and absent keys are not listed. Linear in time and memory: one hash
/// lookup per key, and each position listed at most once, however many share a key (naming
/// every other row on every row was quadratic: 10,000 rows of one placeholder email made
/// 590 MB of messages).
pub fn shared_keys<'k>(keys: impl IntoIterator<Item = Option<&'k MemberKey>>) -> Vec<SharedKey> {
    let keys = keys.into_iter();
    // Fx hash: the keys are the input's own emails and ids (see `plan::MemberIndex`).
    let mut first_at: FxHashMap<&MemberKey, usize> =
        FxHashMap::with_capacity_and_hasher(keys.size_hint().0, FxBuildHasher);
    // The first position of a repeated key → its group in `shared`.
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    let mut shared: Vec<SharedKey> = Vec::new();
    for (i, key) in keys.enumerate() {
        let Some(key) = key else { continue };
        match first_at.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
            Entry::Occupied(first) => {
                let first = *first.get();
                let group = *group_of.entry(first).or_insert_with(|| {
                    shared.push(SharedKey {
                        is_email: matches!(key, MemberKey::Email(_)),
                        positions: vec![first],
                    });
                    shared.len() - 1
                });
                shared[group].positions.push(i);
            }
        }
    }
    shared.sort_unstable_by_key(|group| group.positions[0]);
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_positive_whole_numbers() {
        assert_eq!(parse_user_id("42"), Ok(42));
        assert_eq!(parse_user_id("007"), Ok(7));
        for cell in [
            "0",
            "-3",
            "+3",
            "4.0",
            "abc",
            "00u1abcd",
            "99999999999999999999999",
        ] {
            assert!(parse_user_id(cell).is_err(), "{cell}");
        }
    }

    #[test]
    fn emails_are_lower_cased_and_simply_checked() {
        assert_eq!(
            parse_email("Ann.Lee@Example.COM").as_deref(),
            Ok("ann.lee@example.com")
        );
        assert_eq!(
            parse_email("a+tag@mail.x.io").as_deref(),
            Ok("a+tag@mail.x.io")
        );
        for cell in [
            "ann",
            "@x.io",
            "ann@",
            "ann@localhost",
            "ann@x..io",
            "ann@.x.io",
            "ann@x.io.",
            "a@b@x.io",
            "ann lee@x.io",
            "Ann <ann@x.io>",
            "<ann@x.io>",
            "mailto:ann@x.io",
            "ann@x.io?subject=hi",
            "ann@x.io>",
            "ann@x.io,",
        ] {
            assert!(parse_email(cell).is_err(), "{cell}");
        }
        assert_eq!(
            parse_email("ann\u{200b}@x.io").unwrap_err(),
            "contains U+200B ZERO WIDTH SPACE at character 4: invisible and text-direction \
             characters are not allowed in emails and names"
        );
        assert!(
            parse_email("ann@x.io\u{1b}")
                .unwrap_err()
                .contains("U+001B ESCAPE")
        );
        assert_eq!(
            parse_email("用户@例子.广告").as_deref(),
            Ok("用户@例子.广告")
        );
    }

    #[test]
    fn wrapped_emails_are_read_with_a_note() {
        let read = |cell: &str| read_email(cell).unwrap();
        assert_eq!(read("Ann@x.io"), ("ann@x.io".into(), None));
        assert_eq!(
            read("<Ann@x.io>"),
            (
                "ann@x.io".into(),
                Some(
                    "read \"ann@x.io\" from \"<Ann@x.io>\": the angle brackets were dropped".into()
                )
            )
        );
        assert_eq!(
            read("MAILTO:ann@x.io").1.as_deref(),
            Some("read \"ann@x.io\" from \"MAILTO:ann@x.io\": the mailto: prefix was dropped")
        );
        assert_eq!(
            read("\"Lee, Ann\" < ann@x.io >").1.as_deref(),
            Some(
                "read \"ann@x.io\" from \"\\\"Lee, Ann\\\" < ann@x.io >\": the name and angle \
                 brackets were dropped"
            )
        );
        assert!(
            read("<mailto:ann@x.io>")
                .1
                .unwrap()
                .ends_with("the angle brackets and the mailto: prefix were dropped")
        );
        for cell in [
            "bob@x.io <ann@x.io>",
            "<ann@x.io",
            "<<ann@x.io>>",
            "<>",
            "mailto:",
            "Ann <ann>",
        ] {
            assert!(read_email(cell).is_err(), "{cell}");
        }
    }

    #[test]
    fn keys_on_several_positions_are_grouped_in_order() {
        let e = |s: &str| Some(MemberKey::Email(s.to_string()));
        let id = |n: u64| Some(MemberKey::UserId(n));
        let keys = [
            e("b"),
            e("a"),
            None,
            id(1),
            e("a"),
            e("b"),
            e("c"),
            id(1),
            e("a"),
            None,
        ];
        let got = shared_keys(keys.iter().map(Option::as_ref));
        let group = |is_email: bool, positions: &[usize]| SharedKey {
            is_email,
            positions: positions.to_vec(),
        };
        assert_eq!(
            got,
            [
                group(true, &[0, 5]),
                group(true, &[1, 4, 8]),
                group(false, &[3, 7])
            ]
        );
    }
}

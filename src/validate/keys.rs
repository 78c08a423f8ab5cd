//! Member keys: the user id or email that says which member a row is about.
//!
//! A user id wins over an email, and a row whose user id is unreadable is invalid rather than
//! silently matched by email: falling back would be a guess. Rows sharing a key are all
//! refused, for the same reason: we never pick which of two rows "wins".

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::MemberKey;

/// A positive whole number.
pub fn parse_user_id(cell: &str) -> Result<u64, String> {
    match cell.parse::<u64>() {
        Ok(id) if id > 0 && cell.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err("must be a positive whole number (the member's Tallyfy id)".to_string()),
    }
}

/// A lower-cased email, checked simply: exactly one `@`, something before it, a domain with a
/// dot that neither starts, ends nor doubles, and no white space anywhere. The server (and the
/// member lookup) is the real judge; this only catches cells that are clearly not addresses.
pub fn parse_email(cell: &str) -> Result<String, String> {
    let rule = || "is not an email address (expected name@example.com)".to_string();
    // In ASCII, white space and control characters are the bytes up to the space, and DEL.
    let spaced = if cell.is_ascii() {
        cell.bytes().any(|b| b <= b' ' || b == 0x7f)
    } else {
        cell.contains(char::is_whitespace) || cell.contains(char::is_control)
    };
    if spaced {
        return Err(rule());
    }
    let Some((local, domain)) = cell.split_once('@') else {
        return Err(rule());
    };
    // Byte by byte: these are ASCII characters, which never occur inside another character.
    let domain = domain.as_bytes();
    let domain_ok = domain.contains(&b'.')
        && !domain.contains(&b'@')
        && domain.first() != Some(&b'.')
        && domain.last() != Some(&b'.')
        && !domain.windows(2).any(|pair| pair == b"..");
    if local.is_empty() || !domain_ok {
        return Err(rule());
    }
    Ok(crate::fields::lowercase(cell).into_string())
}

/// The positions whose key another entry has too, in order, each with the positions of those
/// others. Unique and absent keys are not listed. Linear: one hash lookup per key, and a list
/// only for the keys that repeat.
pub fn duplicates<'k>(
    keys: impl IntoIterator<Item = Option<&'k MemberKey>>,
) -> Vec<(usize, Vec<usize>)> {
    let keys = keys.into_iter();
    // Fx hash: the keys are the input's own emails and ids (see `plan::MemberIndex`).
    let mut first_at: FxHashMap<&MemberKey, usize> =
        FxHashMap::with_capacity_and_hasher(keys.size_hint().0, FxBuildHasher);
    // The first position of a repeated key → every position with that key.
    let mut repeated: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, key) in keys.enumerate() {
        let Some(key) = key else { continue };
        match first_at.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
            Entry::Occupied(first) => repeated
                .entry(*first.get())
                .or_insert_with(|| vec![*first.get()])
                .push(i),
        }
    }
    let mut others: Vec<(usize, Vec<usize>)> = repeated
        .values()
        .flat_map(|positions| {
            positions
                .iter()
                .map(|&i| (i, positions.iter().copied().filter(|&j| j != i).collect()))
        })
        .collect();
    others.sort_unstable_by_key(|(i, _)| *i);
    others
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
        ] {
            assert!(parse_email(cell).is_err(), "{cell}");
        }
    }

    #[test]
    fn every_duplicate_names_all_the_others() {
        let e = |s: &str| Some(MemberKey::Email(s.to_string()));
        let keys = [
            e("a"),
            e("b"),
            None,
            e("a"),
            Some(MemberKey::UserId(1)),
            e("a"),
            None,
        ];
        let got = duplicates(keys.iter().map(Option::as_ref));
        assert_eq!(got, [(0, vec![3, 5]), (3, vec![0, 5]), (5, vec![0, 3])]);
    }
}

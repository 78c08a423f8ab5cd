//! [`FieldMap`]: what one row asks of each field, as a small sorted list.
//!
//! A row names at most eleven fields, and 100,000 rows each holding a `BTreeMap` cost tens of
//! megabytes of tree nodes and their allocations. A sorted `Vec` holds the same in one small
//! allocation and keeps the map's order (field order), so reports and plans read the same.

use std::collections::BTreeMap;
use std::fmt;

use super::{Desired, Field};

/// Fields and what the row wants of them, in field order; one entry per field.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FieldMap(Vec<(Field, Desired)>);

impl FieldMap {
    pub fn new() -> FieldMap {
        FieldMap::default()
    }

    /// Room for `fields` fields without growing.
    pub fn with_capacity(fields: usize) -> FieldMap {
        FieldMap(Vec::with_capacity(fields.min(Field::ALL.len())))
    }

    /// Sets what the row wants of `field`, replacing what it wanted before.
    pub fn insert(&mut self, field: Field, desired: Desired) {
        // Columns mostly come in field order: the new field goes last.
        if self.0.last().is_none_or(|(last, _)| *last < field) {
            self.0.push((field, desired));
            return;
        }
        match self.0.binary_search_by_key(&field, |(f, _)| *f) {
            Ok(at) => self.0[at].1 = desired,
            Err(at) => self.0.insert(at, (field, desired)),
        }
    }

    pub fn get(&self, field: &Field) -> Option<&Desired> {
        self.0
            .binary_search_by_key(field, |(f, _)| *f)
            .ok()
            .map(|at| &self.0[at].1)
    }

    pub fn contains_key(&self, field: &Field) -> bool {
        self.get(field).is_some()
    }

    /// In field order.
    pub fn iter(&self) -> impl Iterator<Item = (&Field, &Desired)> {
        self.0.iter().map(|(field, desired)| (field, desired))
    }

    pub fn values(&self) -> impl Iterator<Item = &Desired> {
        self.0.iter().map(|(_, desired)| desired)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(Field, Desired)> for FieldMap {
    /// As a map collects: a field given twice keeps its last value.
    fn from_iter<I: IntoIterator<Item = (Field, Desired)>>(entries: I) -> FieldMap {
        let mut map = FieldMap::new();
        for (field, desired) in entries {
            map.insert(field, desired);
        }
        map
    }
}

impl<const N: usize> From<[(Field, Desired); N]> for FieldMap {
    fn from(entries: [(Field, Desired); N]) -> FieldMap {
        entries.into_iter().collect()
    }
}

impl std::ops::Index<&Field> for FieldMap {
    type Output = Desired;

    fn index(&self, field: &Field) -> &Desired {
        self.get(field)
            .unwrap_or_else(|| panic!("no value for {field} in this row"))
    }
}

impl PartialEq<BTreeMap<Field, Desired>> for FieldMap {
    fn eq(&self, other: &BTreeMap<Field, Desired>) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl fmt::Debug for FieldMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Value;

    fn set(text: &str) -> Desired {
        Desired::Set(Value::Text(text.into()))
    }

    #[test]
    fn keeps_field_order_and_the_last_value_like_a_map() {
        let entries = [
            (Field::Team, set("Ops")),
            (Field::FirstName, set("Ann")),
            (Field::Team, Desired::Clear),
        ];
        let map: FieldMap = entries.clone().into_iter().collect();
        let tree: BTreeMap<Field, Desired> = entries.into_iter().collect();
        assert_eq!(map, tree);
        assert_eq!(format!("{map:?}"), format!("{tree:?}"));
        assert_eq!(map[&Field::Team], Desired::Clear);
        assert_eq!(map.get(&Field::Phone), None);
        assert!(map.contains_key(&Field::FirstName));
        assert_eq!(map.len(), 2);
    }
}

//! `ObjectView`: the JSON-like view of observation data that evaluation runs over.

/// The shape of one value in a view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// JSON `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    String(&'a str),
    /// A list; see [`ObjectView::at`].
    List,
    /// A map; see [`ObjectView::get`].
    Object,
}

/// A JSON-like value: STIX objects and their properties, as evaluation sees them.
///
/// Implemented for `serde_json::Value`; implement it for other representations (a database row,
/// a borrowed parse tree) to evaluate patterns without converting.
pub trait ObjectView {
    /// What this value is.
    fn value(&self) -> Value<'_>;
    /// The member `key` of a map.
    fn get(&self, key: &str) -> Option<&Self>;
    /// The element `index` of a list.
    fn at(&self, index: usize) -> Option<&Self>;
    /// The number of elements of a list (0 for anything else).
    fn list_len(&self) -> usize;
    /// Calls `f` with each member of a map.
    fn for_each_member<'a>(&'a self, f: &mut dyn FnMut(&'a str, &'a Self));
}

impl ObjectView for serde_json::Value {
    fn value(&self) -> Value<'_> {
        use serde_json::Value as J;
        match self {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Value::String(s),
            J::Array(_) => Value::List,
            J::Object(_) => Value::Object,
        }
    }

    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }

    fn at(&self, index: usize) -> Option<&Self> {
        self.as_array()?.get(index)
    }

    fn list_len(&self) -> usize {
        self.as_array().map_or(0, Vec::len)
    }

    fn for_each_member<'a>(&'a self, f: &mut dyn FnMut(&'a str, &'a Self)) {
        if let Some(map) = self.as_object() {
            for (key, value) in map {
                f(key, value);
            }
        }
    }
}

/// The string value of `view.get(key)`, if it is a string.
pub(crate) fn string_member<'a, V: ObjectView>(view: &'a V, key: &str) -> Option<&'a str> {
    match view.get(key)?.value() {
        Value::String(s) => Some(s),
        _ => None,
    }
}

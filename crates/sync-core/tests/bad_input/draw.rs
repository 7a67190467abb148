//! Choices drawn from a byte string: the one source of inputs of the fuzz targets,
//! whether the bytes come from libFuzzer (coverage-guided, `scripts/fuzz.sh`) or
//! from proptest (random, in the normal test run).
//!
//! Reading past the end yields zeros, so every byte string is a valid input and a
//! shorter one is a simpler case: both fuzzers shrink by cutting bytes.

use serde_json::{Map, Value, json};
use sync_core::hlc::Hlc;
use sync_core::schema::{FieldSpec, FieldType};
use uuid::Uuid;

/// Texts that mean something to the code under test, next to arbitrary ones.
const TEXTS: &[&str] = &[
    "",
    "a",
    "quiet",
    "crib",
    "clean",
    "dirty",
    "inspected",
    "out_of_order",
    "confirmed",
    "checked_in",
    "cancelled",
    "2026-02-29",
    "2026-11-23",
    "H-2026-0042",
    "T-K7Q-0001",
    "c1.2a",
    "00000000-0000-0000-0000-000000000001",
    "000001763895925000-00000-00000000-0000-0000-0000-000000000001",
    "999999999999999999-99999-00000000-0000-0000-0000-000000000001",
    "line\u{0}break",
    "é\u{301}",
    "\u{1F600}",
];

/// Ids of keyed entries: a few values so that both sides share some.
const IDS: &[u128] = &[1, 2, 3];

/// A cursor over the bytes being decoded into choices.
#[derive(Debug, Clone)]
pub struct Draw<'a> {
    data: &'a [u8],
}

impl<'a> Draw<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Draw { data }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.data
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((first, rest)) => {
                self.data = rest;
                *first
            }
            None => 0,
        }
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        for slot in &mut out {
            *slot = self.byte();
        }
        out
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 { usize::from(self.byte()) % n } else { usize::from(u16::from_le_bytes(self.bytes())) % n }
    }

    /// True about once in `n` draws.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }

    pub fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.bytes())
    }

    /// A text: one the code knows about, or any characters.
    pub fn text(&mut self) -> String {
        if self.one_in(3) {
            let len = self.below(24);
            let raw: Vec<u8> = (0..len).map(|_| self.byte()).collect();
            String::from_utf8_lossy(&raw).into_owned()
        } else {
            self.pick(TEXTS).to_owned()
        }
    }

    pub fn uuid(&mut self) -> Uuid {
        if self.one_in(4) { Uuid::from_bytes(self.bytes()) } else { Uuid::from_u128(self.pick(IDS)) }
    }

    /// A timestamp, often a small one so that two sides tie, sometimes at the
    /// edges of the text form.
    pub fn hlc(&mut self) -> Hlc {
        let node = self.uuid();
        match self.below(4) {
            // Anything the text form can carry: what a device or the server may read.
            0 => Hlc {
                physical_ms: self.u64() % 1_000_000_000_000_000_000,
                logical: u32::from_le_bytes(self.bytes()) % 100_000,
                node,
            },
            1 => Hlc { physical_ms: 999_999_999_999_999_999, logical: 99_999, node },
            _ => Hlc { physical_ms: 1_763_895_925_000 + self.below(3) as u64, logical: self.below(3) as u32, node },
        }
    }

    /// Any JSON value, leaning to the shapes merge policies read (lists of texts,
    /// entries keyed by `id`, whole numbers) and to edge values.
    pub fn value(&mut self, depth: u8) -> Value {
        let nested = depth < 3;
        match self.below(if nested { 13 } else { 9 }) {
            0 => Value::Null,
            1 => Value::Bool(self.one_in(2)),
            2 => json!(self.below(7) as i64 - 3),
            3 => json!(self.i64()),
            4 => json!(self.pick(&[i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1])),
            5 => json!(self.u64() | (1 << 63)),
            6 => serde_json::Number::from_f64(f64::from_bits(self.u64())).map_or(Value::Null, Value::Number),
            7 | 8 => Value::String(self.text()),
            9 => {
                let len = self.below(5);
                Value::Array((0..len).map(|_| Value::String(self.text())).collect())
            }
            10 => {
                let len = self.below(5);
                Value::Array((0..len).map(|_| self.entry(depth + 1)).collect())
            }
            11 => {
                let len = self.below(4);
                Value::Array((0..len).map(|_| self.value(depth + 1)).collect())
            }
            _ => {
                let len = self.below(4);
                Value::Object((0..len).map(|_| (self.text(), self.value(depth + 1))).collect())
            }
        }
    }

    /// An entry of a keyed list (a note, a POS line), sometimes missing its key or
    /// with a key of the wrong type.
    pub fn entry(&mut self, depth: u8) -> Value {
        let mut entry = Map::new();
        match self.below(6) {
            0 => {}
            1 => {
                entry.insert("id".into(), self.value(depth + 1));
            }
            _ => {
                entry.insert("id".into(), Value::String(self.uuid().to_string()));
            }
        }
        if !self.one_in(4) {
            entry.insert("at".into(), Value::String(self.hlc().to_string()));
        }
        if self.one_in(2) {
            entry.insert("by".into(), Value::String(self.text()));
            entry.insert("text".into(), Value::String(self.text()));
        }
        if self.one_in(4) {
            let key = self.text();
            entry.insert(key, self.value(depth + 1));
        }
        Value::Object(entry)
    }

    /// A value the schema accepts for `spec` most of the time, else any value.
    pub fn field_value(&mut self, spec: &FieldSpec) -> Value {
        match self.below(8) {
            0 => self.value(0),
            1 if spec.nullable => Value::Null,
            _ => self.valid_value(spec.ty),
        }
    }

    /// A value of type `ty` that the schema accepts (mostly: texts and entries come
    /// from the draw and may break a rule).
    pub fn valid_value(&mut self, ty: FieldType) -> Value {
        match ty {
            FieldType::Id | FieldType::Uuid | FieldType::Ref(_) => Value::String(self.uuid().to_string()),
            FieldType::Text(max) => Value::String(self.text().chars().take(max).collect()),
            FieldType::Int { min, max } => {
                let near = |edge: i64, by: usize| edge.saturating_add(by as i64).clamp(min, max);
                match self.below(3) {
                    0 => json!(near(min, self.below(3))),
                    1 => json!(near(max, 0).saturating_sub(self.below(3) as i64).max(min)),
                    _ => json!((self.below(41) as i64 - 20).clamp(min, max)),
                }
            }
            FieldType::Bool => Value::Bool(self.one_in(2)),
            FieldType::Date => json!(format!("2026-{:02}-{:02}", 1 + self.below(12), 1 + self.below(28))),
            FieldType::Hlc => Value::String(self.hlc().to_string()),
            FieldType::Confirmation => json!(format!("H-2026-{:04}", self.below(10_000))),
            FieldType::Enum(values) => Value::String(self.pick(values).to_owned()),
            FieldType::TextSet => {
                let len = self.below(4);
                Value::Array((0..len).map(|_| Value::String(self.pick(&TEXTS[1..8]).to_owned())).collect())
            }
            FieldType::NoteList => {
                let len = self.below(3);
                let notes = (0..len).map(|_| {
                    json!({"id": self.uuid().to_string(), "at": self.hlc().to_string(), "by": "ana", "text": self.text()})
                });
                Value::Array(notes.collect())
            }
            FieldType::KeyedList => {
                let len = self.below(3);
                let lines =
                    (0..len).map(|_| json!({"id": self.uuid().to_string(), "item": self.text(), "quantity": 1}));
                Value::Array(lines.collect())
            }
        }
    }
}

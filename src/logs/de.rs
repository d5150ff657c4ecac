//! Deserializing pieces shared by the JSON readers: strings that borrow from the
//! line, token counts that record what was wrong with them instead of failing the
//! whole record, and the seed that follows `--class-field`'s dotted path.
//!
//! Why not derive: a count that is `-3` or `"12.5"` must end as a
//! [`BadKind::NegativeCount`] or [`BadKind::Malformed`] naming the field, not as
//! serde's "invalid type" for the whole line; and the class field is a path chosen
//! at run time, which only a [`DeserializeSeed`] can follow in the same single
//! pass over the line.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{BadKind, MAX_TOKENS, Reject};

/// A string borrowed from the line where it has no escapes, owned where it has.
pub struct Str<'a>(pub Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A map key as raw bytes (escapes resolved, UTF-8 not checked): keys are only
/// compared with known ASCII names, so checking their UTF-8 would be wasted time
/// on every key of every record.
pub struct Key<'a>(pub Cow<'a, [u8]>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_vec())))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v.as_bytes())))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.as_bytes().to_vec())))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// An optional string field: `null` is absent.
pub struct OptStr<'a>(pub Option<Cow<'a, str>>);

impl<'de> de::Deserialize<'de> for OptStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(OptStr(Option::<Str<'de>>::deserialize(d)?.map(|s| s.0)))
    }
}

/// A token count as found, good or bad. Deserializing never fails on a wrong
/// value: what was wrong is kept, to be reported with the field's name.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Count {
    /// Not in the record, or `null`.
    #[default]
    Absent,
    /// A whole number, not yet checked against [`MAX_TOKENS`].
    Ok(u64),
    /// A negative number.
    Negative(f64),
    /// A number with a fractional part.
    Fraction(f64),
    /// Not a number: what it was ("a string", "an object", ...).
    NotNumber(&'static str),
}

impl Count {
    /// Parses a count from text (a CSV cell, a string in JSON). Empty is absent.
    pub fn parse(s: &str) -> Count {
        let s = s.trim();
        if s.is_empty() {
            return Count::Absent;
        }
        if let Ok(n) = s.parse::<u64>() {
            return Count::Ok(n);
        }
        match s.parse::<f64>() {
            Ok(v) => Count::from_f64(v),
            Err(_) => Count::NotNumber("text that is not a number"),
        }
    }

    fn from_f64(v: f64) -> Count {
        if !v.is_finite() {
            Count::NotNumber("not a finite number")
        } else if v < 0.0 {
            Count::Negative(v)
        } else if v.fract() != 0.0 {
            Count::Fraction(v)
        } else if v > u64::MAX as f64 {
            Count::Ok(u64::MAX)
        } else {
            Count::Ok(v as u64)
        }
    }

    /// Whether the field holds anything (even a bad value).
    pub fn is_present(&self) -> bool {
        !matches!(self, Count::Absent)
    }

    /// The checked count, `None` where absent; a [`Reject`] naming `field` where
    /// the value is not a plausible token count.
    pub fn check(self, field: &str) -> Result<Option<u64>, Reject> {
        match self {
            Count::Absent => Ok(None),
            Count::Ok(n) if n > MAX_TOKENS => Err(Reject::new(
                BadKind::AbsurdCount,
                format!(
                    "{field} is {n}: no Bedrock model reads or writes more than {MAX_TOKENS} tokens in one call; the field is probably corrupt"
                ),
            )),
            Count::Ok(n) => Ok(Some(n)),
            Count::Negative(v) => Err(Reject::new(
                BadKind::NegativeCount,
                format!("{field} is {v}: a token count cannot be negative"),
            )),
            Count::Fraction(v) => Err(Reject::new(
                BadKind::Malformed,
                format!("{field} is {v}: a token count must be a whole number"),
            )),
            Count::NotNumber(what) => Err(Reject::new(
                BadKind::Malformed,
                format!("{field} is {what}: a token count must be a whole number"),
            )),
        }
    }
}

impl<'de> de::Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a token count")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count::Ok(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                Ok(if v < 0 {
                    Count::Negative(v as f64)
                } else {
                    Count::Ok(v as u64)
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                Ok(Count::from_f64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
                // Numbers written as strings are read; anything else is named.
                Ok(match Count::parse(v) {
                    Count::Absent => Count::NotNumber("an empty string"),
                    Count::NotNumber(_) => Count::NotNumber("a string that is not a number"),
                    c => c,
                })
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Count, E> {
                Ok(Count::NotNumber("a boolean"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Count, E> {
                Ok(Count::Absent)
            }
            fn visit_none<E: de::Error>(self) -> Result<Count, E> {
                Ok(Count::Absent)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Count, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Count::NotNumber("an object"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Count::NotNumber("an array"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A latency in milliseconds as found: a non-negative number, absent, or bad.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Millis {
    /// Not in the record, or `null`.
    #[default]
    Absent,
    /// A non-negative number of milliseconds.
    Ok(f64),
    /// Anything else.
    Bad,
}

impl Millis {
    /// Parses a latency from text; empty is absent.
    pub fn parse(s: &str) -> Millis {
        let s = s.trim();
        if s.is_empty() {
            return Millis::Absent;
        }
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Millis::Ok(v),
            _ => Millis::Bad,
        }
    }

    /// The checked latency; a [`Reject`] naming `field` where it is not a
    /// non-negative number.
    pub fn check(self, field: &str) -> Result<Option<f64>, Reject> {
        match self {
            Millis::Absent => Ok(None),
            Millis::Ok(v) => Ok(Some(v)),
            Millis::Bad => Err(Reject::new(
                BadKind::Malformed,
                format!(
                    "{field} is not a latency: it must be a non-negative number of milliseconds"
                ),
            )),
        }
    }
}

impl<'de> de::Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Count::deserialize(d)? {
            Count::Absent => Millis::Absent,
            Count::Ok(n) => Millis::Ok(n as f64),
            Count::Fraction(v) => Millis::Ok(v),
            Count::Negative(_) | Count::NotNumber(_) => Millis::Bad,
        })
    }
}

/// What was found at the class field's path.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Found<'a> {
    /// The path does not exist in the record (or ends at `null`).
    #[default]
    Missing,
    /// A string, or a number or boolean written as text.
    Value(Cow<'a, str>),
    /// An object or an array: not a class name.
    NotScalar(&'static str),
}

/// Follows the rest of a dotted path into a value: `rest` empty means this value
/// is the one wanted.
pub struct PathSeed<'p> {
    /// The segments still to follow.
    pub rest: &'p [String],
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_> {
    type Value = Found<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PathSeed<'_> {
    type Value = Found<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Found<'de>, E> {
        Ok(if self.rest.is_empty() {
            Found::Value(Cow::Borrowed(v))
        } else {
            Found::Missing
        })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Found<'de>, E> {
        Ok(if self.rest.is_empty() {
            Found::Value(Cow::Owned(v.to_string()))
        } else {
            Found::Missing
        })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Found<'de>, E> {
        self.scalar(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Found<'de>, E> {
        self.scalar(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Found<'de>, E> {
        self.scalar(v)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Found<'de>, E> {
        self.scalar(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Found<'de>, E> {
        Ok(Found::Missing)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found<'de>, A::Error> {
        let Some((first, rest)) = self.rest.split_first() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Found::NotScalar("an object"));
        };
        let mut found = Found::Missing;
        while let Some(key) = map.next_key::<Key>()? {
            if *key.0 == *first.as_bytes() {
                found = map.next_value_seed(PathSeed { rest })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(if self.rest.is_empty() {
            Found::NotScalar("an array")
        } else {
            Found::Missing
        })
    }
}

impl PathSeed<'_> {
    fn scalar<'de, E: de::Error>(self, v: impl fmt::Display) -> Result<Found<'de>, E> {
        Ok(if self.rest.is_empty() {
            Found::Value(Cow::Owned(v.to_string()))
        } else {
            Found::Missing
        })
    }
}

/// The `Reject` for a class field that is missing or not a name.
pub fn class_reject(found: &Found, field: &str) -> Reject {
    match found {
        Found::NotScalar(what) => Reject::new(
            BadKind::Malformed,
            format!("{field} (named by class_field / --class-field) is {what}, not a class name"),
        ),
        _ => Reject::new(
            BadKind::MissingField,
            format!("the record has no {field} (named by class_field / --class-field)"),
        ),
    }
}

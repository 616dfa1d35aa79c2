//! Whole numbers as JSON Schema counts them: `84.0` is the integer 84 (JSON has one number
//! type, and clients written in JavaScript send what they have), `84.5` is not.

use serde::de::{self, Deserializer, Visitor};

struct Whole(&'static str);

impl Visitor<'_> for Whole {
    type Value = i64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a whole number ({})", self.0)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} is too large")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // Exactly representable whole numbers only; 2^53 keeps every such f64 exact.
        if v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_992.0 {
            Ok(v as i64)
        } else {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
}

/// The largest count taken: the document states counts as `int32` (what JavaScript and
/// spreadsheets keep exactly), so the server refuses what the document does.
pub const MAX_COUNT: i64 = i32::MAX as i64;

/// A `u32` field that also takes `84.0`, from 0 to [`MAX_COUNT`].
pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = d.deserialize_any(Whole("0 or more"))?;
    match u32::try_from(v) {
        Ok(n) if v <= MAX_COUNT => Ok(n),
        _ => Err(de::Error::custom(format!("{v} is out of range for a count (0 to {MAX_COUNT})"))),
    }
}

/// An optional `u32` field that also takes `84.0`; `null` is absent.
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<u32>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            u32(d).map(Some)
        }
    }
    d.deserialize_option(Opt)
}

/// An `i64` field that also takes `3.0`.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(Whole("an integer"))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::u32")]
        n: u32,
        #[serde(default, deserialize_with = "super::opt_u32")]
        m: Option<u32>,
        #[serde(default, deserialize_with = "super::i64")]
        v: i64,
    }

    fn parse(s: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn whole_floats_count_as_integers_and_fractions_do_not() {
        let t = parse(r#"{"n": 84.0, "m": 3.0, "v": -2.0}"#).unwrap();
        assert_eq!((t.n, t.m, t.v), (84, Some(3), -2));
        assert_eq!(parse(r#"{"n": 84, "m": null}"#).unwrap().m, None);
        assert!(parse(r#"{"n": 84.5}"#).is_err());
        assert!(parse(r#"{"n": -1}"#).is_err());
        assert!(parse(r#"{"n": 1e20}"#).is_err());
        assert!(parse(r#"{"n": "3"}"#).is_err());
        assert_eq!(parse(r#"{"n": 2147483647}"#).unwrap().n, 2_147_483_647);
        assert!(parse(r#"{"n": 2147483648}"#).is_err(), "past int32, as the document states");
        assert!(parse(r#"{"n": 1, "m": 4294967295}"#).is_err());
    }
}

//! Values devtop.toml writes as strings — durations (`"90s"`) and byte sizes (`"1GiB"`) —
//! and how messages show them.

use serde::Deserialize;
use std::time::Duration;

/// A humantime duration (`"90s"`, `"2m"`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Dur(pub(super) Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map(Dur).map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid duration \"{s}\" ({e}); write e.g. \"90s\" or \"2m\""
            ))
        })
    }
}

/// A byte size (`"1GiB"`, `"500MiB"`) and the text it was written as (bytesize saturates
/// huge values instead of failing, so messages quote the text).
#[derive(Debug, Clone)]
pub(super) struct Size(pub(super) u64, pub(super) String);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<bytesize::ByteSize>()
            .map(|b| Size(b.as_u64(), s.clone()))
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "invalid size \"{s}\" ({e}); write e.g. \"1GiB\" or \"500MiB\""
                ))
            })
    }
}

/// A duration as humantime writes it ("1h 30m").
pub(super) fn show(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// A byte count in IEC units ("1.0 GiB").
pub(super) fn size(b: u64) -> String {
    bytesize::ByteSize(b).display().iec().to_string()
}

//! A check as the terminal shows it (`devtop preflight`, the guarded migrate's progress):
//! pure formatting, the evidence and hint sanitised.

use super::Check;
use crate::sanitize::clean;

/// One check as text: `✗ 4 FAIL Target database answers`, its detail indented, `→ hint`.
pub fn check_text(c: &Check) -> String {
    let mut s = format!(
        "{} {:>2} {:<7} {}\n",
        c.status.glyph(),
        c.id.number(),
        c.status.label(),
        c.id.title()
    );
    for d in &c.detail {
        s.push_str(&format!("       {}\n", clean(d)));
    }
    if let Some(h) = &c.hint {
        s.push_str(&format!("       → {}\n", clean(h)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::preflight::{CheckId, Status};

    #[test]
    fn a_check_with_its_detail_and_hint_indented() {
        let c =
            Check::new(CheckId::Connection, Status::Fail, "local: down").hint("start the database");
        assert_eq!(
            check_text(&c),
            format!(
                "{} {:>2} {:<7} {}\n       local: down\n       → start the database\n",
                Status::Fail.glyph(),
                4,
                Status::Fail.label(),
                CheckId::Connection.title()
            )
        );
    }
}

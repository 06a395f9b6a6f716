//! Mouse input decoding: which terminal mouse events reach the engine at all. Where a click
//! lands and what it does is the engine's business ([`crate::app::mouse`]).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

/// True for the events devtop acts on: a left click, a wheel notch. Moves, drags and releases
/// are dropped before they reach the state (no redraw for a pointer passing by).
pub fn wanted(ev: &MouseEvent) -> bool {
    matches!(
        ev.kind,
        MouseEventKind::Down(MouseButton::Left)
            | MouseEventKind::ScrollUp
            | MouseEventKind::ScrollDown
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn ev(kind: MouseEventKind) -> MouseEvent {
        MouseEvent {
            kind,
            column: 10,
            row: 3,
            modifiers: KeyModifiers::NONE,
        }
    }

    #[test]
    fn only_clicks_and_wheel_notches_reach_the_engine() {
        assert!(!wanted(&ev(MouseEventKind::Up(MouseButton::Left))));
        assert!(!wanted(&ev(MouseEventKind::Moved)));
        assert!(wanted(&ev(MouseEventKind::Down(MouseButton::Left))));
        assert!(wanted(&ev(MouseEventKind::ScrollDown)));
    }
}

//! Pane registration on the drawing side: each pane's renderer, and where the current screen's
//! panes go. The screens and their focus order are the pane table in [`crate::app::panes`].

use crate::app::panes::screen;
use crate::app::state::{AppState, Focus, View};
use ratatui::Frame;
use ratatui::layout::Rect;
use tui_logger::TuiWidgetState;

/// The areas of the current screen: the fixed lines and each pane of the pane table.
pub struct ScreenAreas {
    /// Title line.
    pub header: Rect,
    /// The screen's panes in focus order, each with its area (width 0: not shown).
    pub panes: Vec<(Focus, Rect)>,
    /// Status (notice) line.
    pub footer: Rect,
    /// Key bar (bottom line).
    pub keys: Rect,
}

/// Split `area` for `state`'s screen.
pub fn screen_areas(area: Rect, state: &AppState) -> ScreenAreas {
    let (header, footer, keys, place): (Rect, Rect, Rect, Box<dyn Fn(Focus) -> Rect>) =
        match state.view {
            View::Processes => {
                let a = crate::ui::areas(area, state.focus);
                let place = move |f| match f {
                    Focus::Processes => a.processes,
                    Focus::Memory => a.memory,
                    Focus::Logs => a.logs,
                    Focus::Health | Focus::Migrations => Rect::default(),
                };
                (a.header, a.footer, a.keys, Box::new(place))
            }
            View::Databases => {
                let a = crate::ui::database_areas(area, state);
                let place = move |f| match f {
                    Focus::Health => a.health,
                    Focus::Migrations => a.migrations,
                    Focus::Logs => a.logs,
                    Focus::Processes | Focus::Memory => Rect::default(),
                };
                (a.header, a.footer, a.keys, Box::new(place))
            }
        };
    let panes = screen(state.view)
        .panes
        .iter()
        .map(|&f| (f, place(f)))
        .collect();
    ScreenAreas {
        header,
        panes,
        footer,
        keys,
    }
}

/// Draw `pane` into `area`.
pub fn render_pane(
    frame: &mut Frame<'_>,
    pane: Focus,
    area: Rect,
    state: &AppState,
    logs: &TuiWidgetState,
) {
    match pane {
        Focus::Processes => crate::ui::processes::render(frame, area, state),
        Focus::Memory => crate::ui::memory::render(frame, area, state),
        Focus::Logs => crate::ui::logs::render(frame, area, state, logs),
        Focus::Health => crate::ui::health::render(frame, area, state),
        Focus::Migrations => crate::ui::migrations::render(frame, area, state),
    }
}

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
    /// The memory guard's banner below the title (height 0 unless the level is critical).
    pub banner: Rect,
    /// The screen's panes in focus order, each with its area (width 0: not shown).
    pub panes: Vec<(Focus, Rect)>,
    /// Status (notice) line.
    pub footer: Rect,
    /// Key bar (bottom line).
    pub keys: Rect,
}

/// Split `area` for `state`'s screen.
pub fn screen_areas(full: Rect, state: &AppState) -> ScreenAreas {
    // The guard's banner takes rows below the title; the screen's layout gets the rest.
    let banner_h = crate::ui::guard_banner::height(full, state);
    let area = Rect {
        y: full.y + banner_h,
        height: full.height - banner_h,
        ..full
    };
    let (header, footer, keys, place): (Rect, Rect, Rect, Box<dyn Fn(Focus) -> Rect>) =
        match state.view {
            View::Processes => {
                let a = crate::ui::areas(area, state.focus);
                let place = move |f| match f {
                    Focus::Processes => a.processes,
                    Focus::Memory => a.memory,
                    Focus::Logs => a.logs,
                    Focus::Health | Focus::Migrations | Focus::Servers | Focus::Preflight => {
                        Rect::default()
                    }
                };
                (a.header, a.footer, a.keys, Box::new(place))
            }
            View::Databases => {
                let a = crate::ui::database_areas(area, state);
                let place = move |f| match f {
                    Focus::Health => a.health,
                    Focus::Migrations => a.migrations,
                    Focus::Logs => a.logs,
                    Focus::Processes | Focus::Memory | Focus::Servers | Focus::Preflight => {
                        Rect::default()
                    }
                };
                (a.header, a.footer, a.keys, Box::new(place))
            }
            View::Servers => {
                let a = crate::ui::server_areas(area, state);
                let place = move |f| match f {
                    Focus::Servers => a.servers,
                    Focus::Logs => a.logs,
                    _ => Rect::default(),
                };
                (a.header, a.footer, a.keys, Box::new(place))
            }
            View::Preflight => {
                let a = crate::ui::preflight::areas(area, state);
                let place = move |f| match f {
                    Focus::Preflight => a.checks,
                    Focus::Logs => a.logs,
                    _ => Rect::default(),
                };
                (a.header, a.footer, a.keys, Box::new(place))
            }
        };
    let panes = screen(state.view)
        .panes
        .iter()
        .map(|&f| (f, place(f)))
        .collect();
    let banner = Rect {
        y: full.y + 1,
        height: banner_h,
        ..header
    };
    let header = Rect {
        y: full.y,
        ..header
    };
    ScreenAreas {
        header,
        banner,
        panes,
        footer,
        keys,
    }
}

/// The area of `pane` on the current screen for `state` (empty when the screen has no such
/// pane).
pub fn pane_area(state: &AppState, pane: Focus) -> Rect {
    screen_areas(state.screen, state)
        .panes
        .into_iter()
        .find(|(f, _)| *f == pane)
        .map_or_else(Rect::default, |(_, r)| r)
}

/// The process list's area on the Processes screen for `state` (the banner accounted for).
pub fn processes_area(state: &AppState) -> Rect {
    let full = state.screen;
    let banner_h = crate::ui::guard_banner::height(full, state);
    let area = Rect {
        y: full.y + banner_h,
        height: full.height - banner_h,
        ..full
    };
    crate::ui::areas(area, state.focus).processes
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
        Focus::Logs if *state.logs_shown() != crate::app::state::LogSource::Devtop => {
            crate::ui::server_logs::render(frame, area, state);
        }
        Focus::Logs => crate::ui::logs::render(frame, area, state, logs),
        Focus::Servers => crate::ui::servers::render(frame, area, state),
        Focus::Health => crate::ui::health::render(frame, area, state),
        Focus::Migrations => crate::ui::migrations::render(frame, area, state),
        Focus::Preflight => crate::ui::preflight::render(frame, area, state),
    }
}

//! Log lines for the Logs pane. tui-logger's `init_logger` starts a thread that wakes every
//! 10 ms (100 wake-ups a second, measurable on an idle monitor); devtop instead installs a
//! small `log::Log` that hands records to tui-logger's [`tui_logger::Drain`] and moves them
//! into the widget's buffer itself, just before it draws. Each message is redacted and
//! sanitised on the way in, so no log line carries a secret or a control byte.

use log::{LevelFilter, Log, Metadata, Record};

struct Forward;

impl Log for Forward {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    /// Every line is redacted ([`crate::redact::text`]) and sanitised
    /// ([`crate::sanitize::clean`]: one entry per line, no control bytes) on its way in.
    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let text = record.args().to_string();
            let safe = crate::sanitize::clean(&crate::redact::text(&text)).into_owned();
            tui_logger::Drain::new().log(
                &Record::builder()
                    .args(format_args!("{safe}"))
                    .metadata(record.metadata().clone())
                    .module_path(record.module_path())
                    .file(record.file())
                    .line(record.line())
                    .build(),
            );
        }
    }

    fn flush(&self) {}
}

/// Install the forwarding logger (Info and above). Harmless when called twice.
pub fn init() {
    if log::set_logger(&Forward).is_ok() {
        log::set_max_level(LevelFilter::Info);
        tui_logger::set_default_level(LevelFilter::Info);
    }
}

/// Move captured records into the widget's buffer (call before drawing).
pub fn pump() {
    tui_logger::move_events();
}

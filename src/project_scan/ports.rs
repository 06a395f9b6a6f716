//! Ports written as literals: in a package.json script (`--port 3010`, `-p 3010`,
//! `PORT=3010`) and in a vite config (`server: { port: 5173, proxy: { ... } }`). Pure: text
//! in, numbers out; nothing is evaluated, so a port computed at run time is not found.

use regex::Regex;
use std::sync::LazyLock;

/// The dev tool a script runs, when it is one whose readiness is best probed over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `vite` (its config may hold the port and a proxy).
    Vite,
    /// `next dev` / `next start`.
    Next,
}

/// The tool `script` runs: `vite ...` or `next dev|start ...` as a word of the script.
pub fn tool_of(script: &str) -> Option<Tool> {
    static VITE: LazyLock<Regex> = LazyLock::new(|| re(r"(^|[\s;&|/])vite(\s|$)"));
    static NEXT: LazyLock<Regex> = LazyLock::new(|| re(r"(^|[\s;&|/])next\s+(dev|start)\b"));
    if VITE.is_match(script) {
        Some(Tool::Vite)
    } else if NEXT.is_match(script) {
        Some(Tool::Next)
    } else {
        None
    }
}

#[allow(clippy::expect_used)] // the patterns are literals, checked by the tests
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid literal regex")
}

/// A port written in `script`, with the text that set it (`--port 3010`, `-p 3010`,
/// `PORT=3010`). Ports outside 1–65535 are ignored.
pub fn script_port(script: &str) -> Option<(u16, String)> {
    static FLAG: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?:^|\s)(--port[= ]\s*|-p\s+)(\d{1,5})\b"));
    static ENV: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|[\s;&])PORT=['\x22]?(\d{1,5})\b"));
    if let Some(c) = FLAG.captures(script) {
        let port = c[2].parse::<u16>().ok().filter(|p| *p > 0)?;
        let flag = c[1].trim_end().trim_end_matches('=');
        return Some((port, format!("{flag} {port}")));
    }
    let c = ENV.captures(script)?;
    let port = c[1].parse::<u16>().ok().filter(|p| *p > 0)?;
    Some((port, format!("PORT={port}")))
}

/// What a vite config says about its dev server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViteServer {
    /// `server.port` when written as a number.
    pub port: Option<u16>,
    /// Ports of the local proxy targets under `server.proxy` (`http://localhost:3010`,
    /// `127.0.0.1`, `0.0.0.0`, `[::1]`), in order of appearance, without repeats.
    pub proxy_ports: Vec<u16>,
}

/// Read `server: { port: N, proxy: { ... } }` from vite config `text`. Only the object
/// literal after `server:` counts (not `preview.port`).
pub fn vite_server(text: &str) -> ViteServer {
    static SERVER: LazyLock<Regex> = LazyLock::new(|| re(r"\bserver\s*:\s*\{"));
    static PORT: LazyLock<Regex> = LazyLock::new(|| re(r"\bport\s*:\s*(\d{1,5})\b"));
    static PROXY: LazyLock<Regex> = LazyLock::new(|| re(r"\bproxy\s*:\s*\{"));
    static TARGET: LazyLock<Regex> =
        LazyLock::new(|| re(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]):(\d{1,5})\b"));
    let mut out = ViteServer::default();
    let Some(m) = SERVER.find(text) else {
        return out;
    };
    let server = block(&text[m.end()..]);
    out.port = PORT
        .captures_iter(server)
        .find(|c| c.get(0).is_some_and(|m| depth_at(server, m.start()) == 0))
        .and_then(|c| c[1].parse().ok())
        .filter(|p| *p > 0);
    if let Some(p) = PROXY.find(server) {
        for c in TARGET.captures_iter(block(&server[p.end()..])) {
            if let Ok(port) = c[1].parse::<u16>()
                && port > 0
                && !out.proxy_ports.contains(&port)
            {
                out.proxy_ports.push(port);
            }
        }
    }
    out
}

/// The text of `after` (which follows an opening `{`) up to its matching `}` (or the end).
fn block(after: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in after.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return &after[..i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    after
}

/// Brace depth at byte `at` of `text` (0 = the block's own level).
fn depth_at(text: &str, at: usize) -> usize {
    text[..at].chars().fold(0usize, |d, c| match c {
        '{' => d + 1,
        '}' => d.saturating_sub(1),
        _ => d,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn script_ports() {
        for (script, want) in [
            ("vite --port 5174", Some((5174, "--port 5174"))),
            ("vite --port=5174", Some((5174, "--port 5174"))),
            ("next dev -p 3001", Some((3001, "-p 3001"))),
            (
                "PORT=3010 tsx watch src/index.ts",
                Some((3010, "PORT=3010")),
            ),
            (
                "cross-env PORT=4000 node server.js",
                Some((4000, "PORT=4000")),
            ),
            ("tsx watch src/index.ts", None),
            ("vite --port 99999", None),
            ("APP_PORT=1 node x", None),
        ] {
            let want = want.map(|(p, how)| (p, how.to_owned()));
            assert_eq!(script_port(script), want, "{script}");
        }
    }

    #[test]
    fn tools() {
        assert_eq!(tool_of("vite"), Some(Tool::Vite));
        assert_eq!(tool_of("vite --host"), Some(Tool::Vite));
        assert_eq!(tool_of("next dev -p 3001"), Some(Tool::Next));
        assert_eq!(tool_of("vitest"), None);
        assert_eq!(tool_of("tsx watch src/index.ts"), None);
    }

    #[test]
    fn vite_config() {
        let cfg = r#"
import { defineConfig } from 'vite'
export default defineConfig({
  preview: { port: 4173 },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: 'http://localhost:3010', changeOrigin: true },
      '/ws': 'ws://localhost:3011',
      '/auth': "http://127.0.0.1:3012",
      '/ext': 'https://example.com:8443',
    },
  },
})
"#;
        let s = vite_server(cfg);
        assert_eq!(s.port, Some(5173));
        assert_eq!(s.proxy_ports, [3010, 3012]);
        let s = vite_server("export default { server: { proxy: { '/a': { port: 1 } } } }");
        assert_eq!(s.port, None);
        assert_eq!(
            vite_server("export default { preview: { port: 1 } }").port,
            None
        );
    }
}

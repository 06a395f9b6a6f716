//! `.env` parsing checked against what dotenv 16 + Prisma's dotenv-expand produce for the same
//! text (each expectation below was derived from dotenv's `LINE` regular expression).
#![allow(clippy::unwrap_used)]

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn get(d: &Dotenv, name: &str) -> Option<String> {
    d.get(name, &no_env)
}

#[test]
fn forms_dotenv_accepts() {
    let d = parse(
        "# comment\n\
         \n\
         A=plain value   # trailing comment\n\
         export B=exported\n\
         C: colon form\n\
         D='single # not a comment'\n\
         E=\"double\\nnewline\"\n\
         F=`back`\n\
         G=\n\
         H=url://u:pa#ss@h/db\n\
         I  =  spaced  \n\
         J=\"a\" # comment after a quote\n\
         K='it\\'s'\n\
         export=word\n\
         dotted.name-x=1\n",
    );
    assert_eq!(d.skipped, Vec::<usize>::new());
    assert_eq!(get(&d, "A").unwrap(), "plain value");
    assert_eq!(get(&d, "B").unwrap(), "exported");
    assert_eq!(get(&d, "C").unwrap(), "colon form");
    assert_eq!(get(&d, "D").unwrap(), "single # not a comment");
    assert_eq!(get(&d, "E").unwrap(), "double\nnewline");
    assert_eq!(get(&d, "F").unwrap(), "back");
    assert_eq!(get(&d, "G").unwrap(), "");
    // dotenv ends an unquoted value at `#`, even inside a URL.
    assert_eq!(get(&d, "H").unwrap(), "url://u:pa");
    assert_eq!(get(&d, "I").unwrap(), "spaced");
    assert_eq!(get(&d, "J").unwrap(), "a");
    // No unescaping besides \n and \r in double quotes.
    assert_eq!(get(&d, "K").unwrap(), "it\\'s");
    assert_eq!(get(&d, "export").unwrap(), "word");
    assert_eq!(get(&d, "dotted.name-x").unwrap(), "1");
}

#[test]
fn bad_lines_are_skipped_not_fatal() {
    let d = parse(
        "just some junk\n\
         ÄPFEL=1\n\
         =nameless\n\
         KEY WITH SPACE=1\n\
         MULTI=\"first\n\
         second\"\n\
         more junk\n\
         DATABASE_URL=postgresql://u@h/db\n",
    );
    assert_eq!(d.skipped, vec![1, 2, 3, 4, 7]);
    assert_eq!(get(&d, "MULTI").unwrap(), "first\nsecond");
    assert_eq!(get(&d, "DATABASE_URL").unwrap(), "postgresql://u@h/db");
}

#[test]
fn quotes_that_do_not_close_are_read_unquoted() {
    let d = parse("A=\"open\nB='x' trailing junk\nC=\"x\\\" # ok\n");
    // No closing quote anywhere: the line is the value, quote included.
    assert_eq!(get(&d, "A").unwrap(), "\"open");
    // A closing quote followed by junk does not count; the whole rest is the value.
    assert_eq!(get(&d, "B").unwrap(), "'x' trailing junk");
    // Backtracking makes the escaped quote the closing one.
    assert_eq!(get(&d, "C").unwrap(), "x\\");
}

#[test]
fn line_endings_duplicates_and_bom() {
    let d = parse("\u{feff}A=1\r\nB=2\rA=3\r\n");
    assert!(d.skipped.is_empty(), "{:?}", d.skipped);
    assert_eq!(get(&d, "A").unwrap(), "3");
    assert_eq!(get(&d, "B").unwrap(), "2");
}

#[test]
fn expansion_like_prisma() {
    let d = parse(
        "HOST=db.local\n\
         URL=postgresql://u@${HOST}:5432/$NAME\n\
         NAME=app\n\
         PRICE=\\$5\n\
         LONE=a$\n\
         SELF=${SELF}x\n\
         PING=${PONG}\n\
         PONG=${PING}\n\
         FROM_ENV=${USER_SET}\n",
    );
    assert_eq!(get(&d, "URL").unwrap(), "postgresql://u@db.local:5432/app");
    assert_eq!(get(&d, "PRICE").unwrap(), "$5");
    assert_eq!(get(&d, "LONE").unwrap(), "a");
    // Self and mutual references stop at the depth bound instead of overflowing the stack.
    assert!(get(&d, "SELF").unwrap().ends_with("xxx"));
    assert!(get(&d, "PING").is_some());
    let env = |k: &str| (k == "USER_SET" || k == "HOST").then(|| "from-env".to_owned());
    assert_eq!(d.get("FROM_ENV", &env).unwrap(), "from-env");
    assert_eq!(
        d.get("URL", &env).unwrap(),
        "postgresql://u@from-env:5432/app"
    );
}

#[test]
fn expansion_work_is_bounded() {
    // Found by fuzz/dotenv: every level multiplies the references (8^16 expansions for `A`),
    // or the empty lookups (`B`), without the budget.
    let d = parse(&format!(
        "A={}\nE=\nB={}\nC=${{B}}${{B}}${{B}}${{B}}ok\n",
        "$A".repeat(8),
        "${E}".repeat(1000)
    ));
    // (At the depth bound a value is kept as written, so `A` is a run of `$A`s.)
    let a = get(&d, "A").unwrap();
    assert!(a.len() <= EXPANSION_BUDGET, "{} bytes", a.len());
    assert_eq!(get(&d, "C").unwrap(), "ok");
    let d = parse("X=xy$X$X$X$X\n");
    let x = get(&d, "X").unwrap();
    assert!(
        x.starts_with("xyxy") && x.len() <= EXPANSION_BUDGET,
        "{} bytes",
        x.len()
    );
}

#[test]
fn many_unclosed_quotes_stay_linear() {
    // 200k lines that each open a quote: every lookup is a binary search, not a scan.
    let text = "A=\"x\\\"\n".repeat(200_000);
    let d = parse(&text);
    assert_eq!(d.vars.len(), 200_000);
    assert!(d.skipped.is_empty());
}

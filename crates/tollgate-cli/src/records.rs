//! Reads records for `score`: JSON lines, or a JSON object spread over
//! several lines (a pretty-printed event), from the same input.
//!
//! A line that does not complete a record is kept and the next one added to
//! it; a broken record is reported with the line it went wrong on and the
//! reader carries on, so one bad line costs one error, not the rest of the
//! input.
//!
//! Decision-log lines ([`DecisionRecord`]: an object whose first member
//! is `event`) are read as well, for replays.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead};

use crate::replay::DecisionRecord;
use tollgate::{Record, WireError};

/// A record spread over more lines or bytes than this is refused, so a
/// stray quote cannot make the reader re-parse the rest of the input on
/// every line.
const MAX_RECORD_LINES: usize = 1_000;
const MAX_RECORD_BYTES: usize = 256 * 1024;

/// One thing read from the input.
#[derive(Debug)]
pub(crate) enum Entry {
    /// A well-formed record (boxed: a record is several times the size of
    /// an error, and entries queue up).
    Record(Box<Record>),
    /// A decision-log line: an event and the decision logged for it.
    Logged(Box<DecisionRecord>),
    /// Input that is not a record.
    Malformed(Malformed),
}

/// Where and why the input could not be read as a record.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, when the JSON parser knows it.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}, column {column}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Iterator over the records of a buffered reader. Only I/O errors end it.
#[derive(Debug)]
pub(crate) struct Records<R> {
    input: R,
    line_no: usize,
    /// The record being assembled, and the line it starts on.
    buffer: String,
    buffer_lines: usize,
    start: usize,
    /// After an error inside a multi-line record: drop lines until one
    /// that opens a new record.
    skipping: bool,
    pending: VecDeque<Entry>,
    done: bool,
}

impl<R: BufRead> Records<R> {
    pub(crate) fn new(input: R) -> Self {
        Records {
            input,
            line_no: 0,
            buffer: String::new(),
            buffer_lines: 0,
            start: 0,
            skipping: false,
            pending: VecDeque::new(),
            done: false,
        }
    }

    /// Lines read so far: a record just returned ends on this line or,
    /// where one line held several entries, on one before it.
    pub(crate) fn lines_read(&self) -> usize {
        self.line_no
    }

    fn read_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut bytes = Vec::new();
        if self.input.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(None);
        }
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        self.line_no += 1;
        Ok(Some(bytes))
    }

    fn feed(&mut self, bytes: Vec<u8>) {
        let no = self.line_no;
        let Ok(line) = String::from_utf8(bytes) else {
            self.abandon("incomplete JSON record");
            self.skipping = false;
            self.malformed(no, None, "not valid UTF-8".into());
            return;
        };
        let opens_record = line.trim_start().starts_with('{');
        if self.skipping {
            if !opens_record {
                return;
            }
            self.skipping = false;
        }
        if self.buffer.is_empty() {
            if line.trim().is_empty() {
                return;
            }
            self.start = no;
        } else {
            self.buffer.push('\n');
        }
        let had_lines = self.buffer_lines;
        self.buffer.push_str(&line);
        self.buffer_lines += 1;
        match parse(&self.buffer) {
            Ok(entry) => {
                self.clear();
                self.pending.push_back(entry);
            }
            Err(WireError::Json(e)) if e.is_eof() => {
                if self.buffer_lines > MAX_RECORD_LINES || self.buffer.len() > MAX_RECORD_BYTES {
                    self.abandon("JSON record too long (unterminated string or object?)");
                    self.skipping = true;
                }
            }
            Err(_) if had_lines > 0 && opens_record => {
                // The earlier lines never finished (e.g. a truncated line);
                // this one starts afresh.
                self.buffer.truncate(self.buffer.len() - line.len() - 1);
                self.abandon("incomplete JSON record");
                self.feed(line.into_bytes());
            }
            Err(e) => {
                let (line_no, column, message) = describe(&e, self.start);
                self.clear();
                self.skipping = had_lines > 0;
                self.malformed(line_no, column, message);
            }
        }
    }

    /// Reports the buffered, unfinished record, if any.
    fn abandon(&mut self, why: &str) {
        if !self.buffer.is_empty() {
            let start = self.start;
            self.clear();
            self.malformed(start, None, why.to_string());
        }
    }

    fn clear(&mut self) {
        self.buffer.clear();
        self.buffer_lines = 0;
    }

    fn malformed(&mut self, line: usize, column: Option<usize>, message: String) {
        self.pending
            .push_back(Entry::Malformed(Malformed { line, column, message }));
    }
}

/// A complete record: a decision-log line or an event or outcome.
fn parse(text: &str) -> Result<Entry, WireError> {
    if DecisionRecord::is_record(text) {
        let record = DecisionRecord::from_json(text)?;
        return Ok(Entry::Logged(Box::new(record)));
    }
    Ok(Entry::Record(Box::new(Record::from_json(text)?)))
}

/// The absolute line, the column and the message of a parse error in a
/// record that starts on line `start`.
fn describe(e: &WireError, start: usize) -> (usize, Option<usize>, String) {
    let message = e.to_string();
    if let WireError::Json(json) = e {
        if json.line() > 0 {
            // serde_json counts lines within the record; re-base them on the input.
            let at = format!(" at line {} column {}", json.line(), json.column());
            let message = message.strip_suffix(&at).unwrap_or(&message).to_string();
            return (start + json.line() - 1, Some(json.column()), message);
        }
    }
    (start, None, message)
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = io::Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.pending.pop_front() {
                return Some(Ok(entry));
            }
            if self.done {
                return None;
            }
            match self.read_line() {
                Ok(Some(bytes)) => self.feed(bytes),
                Ok(None) => {
                    self.done = true;
                    self.abandon("incomplete JSON record (input ended)");
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = r#"{"kind":"login","at":1,"user":"alice"}"#;

    /// `Ok(line)` for each record (by its kind), `Err(line)` for each error.
    fn read(input: &str) -> Vec<Result<String, usize>> {
        Records::new(input.as_bytes())
            .map(|item| match item.unwrap() {
                Entry::Record(r) => match *r {
                    Record::Event(e) => Ok(e.kind.event_type().to_string()),
                    Record::Outcome(o) => Ok(format!("outcome {:?}", o.result)),
                },
                Entry::Logged(l) => Ok(format!("logged {}", l.event.kind.event_type().as_str())),
                Entry::Malformed(m) => Err(m.line),
            })
            .collect()
    }

    #[test]
    fn decision_log_lines_are_read_pretty_or_not() {
        let line =
            r#"{"event":{"kind":"login","at":1,"user":"00ff"},"decision":{"action":"deny","score":0,"reasons":[]}}"#;
        let pretty = "{\n  \"event\": {\"kind\": \"signup\", \"at\": 2},\n  \"decision\": {}\n}\n";
        let bad = r#"{"event":{"kind":"login","at":1},"decision":{},"phone":3}"#;
        let input = format!("{line}\n{pretty}{bad}\n{LOGIN}\n");
        assert_eq!(
            read(&input),
            vec![
                Ok("logged login".into()),
                Ok("logged signup".into()),
                Err(6),
                Ok("login".into())
            ]
        );
    }

    #[test]
    fn json_lines_skip_blanks_and_report_bad_lines() {
        let input = format!("{LOGIN}\n\n  \nnot json\n{LOGIN}\r\n");
        assert_eq!(read(&input), vec![Ok("login".into()), Err(4), Ok("login".into())]);
    }

    #[test]
    fn a_pretty_printed_event_is_one_record() {
        let input = "{\n  \"kind\": \"otp_send\",\n  \"channel\": \"sms\",\n  \"at\": 5\n}\n";
        assert_eq!(read(input), vec![Ok("otp_send".into())]);
    }

    #[test]
    fn a_truncated_line_does_not_swallow_the_next() {
        let input = format!("{{\"kind\":\"login\",\"at\":1\n{LOGIN}\n{{\"kind\":\n");
        assert_eq!(read(&input), vec![Err(1), Ok("login".into()), Err(3)]);
    }

    #[test]
    fn an_error_inside_a_multi_line_record_names_its_line_once() {
        let input = format!("{{\n  \"kind\": \"login\",\n  \"usr\": \"a\",\n  \"at\": 1\n}}\n{LOGIN}\n");
        assert_eq!(read(&input), vec![Err(3), Ok("login".into())]);
    }

    #[test]
    fn outcomes_and_invalid_utf8() {
        let mut input = br#"{"kind":"login","at":1,"user":"a","outcome":"failed"}"#.to_vec();
        input.extend_from_slice(b"\n\xff\xfe\n");
        let got: Vec<_> = Records::new(&input[..]).map(|i| i.unwrap()).collect();
        assert!(matches!(&got[0], Entry::Record(r) if matches!(&**r, Record::Outcome(o) if o.is_failure())));
        assert!(matches!(&got[1], Entry::Malformed(m) if m.line == 2 && m.message.contains("UTF-8")));
    }

    #[test]
    fn messages_carry_line_and_column_of_the_input() {
        let input = format!("{LOGIN}\n{{\"kind\":\"login\",\"at\":1,\"usr\":\"a\"}}\n");
        let errors: Vec<String> = Records::new(input.as_bytes())
            .filter_map(|i| match i.unwrap() {
                Entry::Malformed(m) => Some(m.to_string()),
                Entry::Record(_) | Entry::Logged(_) => None,
            })
            .collect();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("line 2, column "), "{}", errors[0]);
        assert!(errors[0].contains("unknown field `usr`"), "{}", errors[0]);
        assert!(!errors[0].contains("at line 1"), "{}", errors[0]);
    }
}

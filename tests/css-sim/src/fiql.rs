//! FIQL filter expressions as CSS documents them: the six comparisons `== != =gt= =ge= =lt= =le=`,
//! `;` (AND) binding tighter than `,` (OR), and parentheses. It parses into an [`Expr`] with
//! errors that name a 0-based character position, and evaluates an [`Expr`] against anything
//! implementing [`Fields`]. It knows nothing about HTTP, catalogs or which fields exist.

use std::cmp::Ordering;
use std::fmt;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Cmp {
        field: String,
        op: Op,
        value: String,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// A field's value on a record: numbers compare numerically, text lexicographically.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Num(f64),
    Text(String),
}

/// Something a filter can be evaluated against. `None` = the record has no such field.
pub trait Fields {
    fn field(&self, name: &str) -> Option<Value>;
}

/// A syntax error at a 0-based character position of the filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub pos: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid filter at position {}: {}", self.pos, self.msg)
    }
}

impl std::error::Error for ParseError {}

const RESERVED: [char; 4] = [';', ',', '(', ')'];

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

/// Parses a FIQL filter. Empty input is an error (callers treat "no filter" separately).
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        chars: src.chars().collect(),
        pos: 0,
    };
    let e = p.or()?;
    if p.pos < p.chars.len() {
        return Err(p.err(format!("unexpected {:?}", p.chars[p.pos])));
    }
    Ok(e)
}

impl Parser {
    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError {
            pos: self.pos,
            msg: msg.into(),
        }
    }
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(',') {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }
    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut parts = vec![self.constraint()?];
        while self.peek() == Some(';') {
            self.pos += 1;
            parts.push(self.constraint()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }
    fn constraint(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(')') {
                    return Err(self.err("expected ')' to close the group"));
                }
                self.pos += 1;
                Ok(e)
            }
            None => Err(self.err("expected a comparison like type==callrecording, found the end")),
            Some(_) => self.comparison(),
        }
    }
    fn comparison(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == '=' || c == '!' || RESERVED.contains(&c) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.err("expected a field name"));
        }
        let field: String = self.chars[start..self.pos].iter().collect();
        let op_pos = self.pos;
        let op = self
            .operator()
            .map_err(|msg| ParseError { pos: op_pos, msg })?;
        let vstart = self.pos;
        while let Some(c) = self.peek() {
            if RESERVED.contains(&c) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == vstart {
            return Err(self.err(format!("expected a value after the operator for {field:?}")));
        }
        let value = self.chars[vstart..self.pos].iter().collect();
        Ok(Expr::Cmp { field, op, value })
    }
    fn operator(&mut self) -> Result<Op, String> {
        const HELP: &str = "expected an operator: ==, !=, =gt=, =ge=, =lt= or =le=";
        let rest: String = self.chars[self.pos..].iter().take(4).collect();
        for (tok, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("=gt=", Op::Gt),
            ("=ge=", Op::Ge),
            ("=lt=", Op::Lt),
            ("=le=", Op::Le),
        ] {
            if rest.starts_with(tok) {
                self.pos += tok.chars().count();
                return Ok(op);
            }
        }
        if rest.starts_with('=') {
            let word: String = self.chars[self.pos + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            return Err(format!("unknown operator ={word}=; {HELP}"));
        }
        Err(HELP.into())
    }
}

impl Expr {
    /// True if any comparison names `field`.
    pub fn mentions(&self, field: &str) -> bool {
        match self {
            Expr::Cmp { field: f, .. } => f == field,
            Expr::And(v) | Expr::Or(v) => v.iter().any(|e| e.mentions(field)),
        }
    }

    /// Every comparison, depth first.
    pub fn comparisons(&self) -> Vec<(&str, Op, &str)> {
        match self {
            Expr::Cmp { field, op, value } => vec![(field.as_str(), *op, value.as_str())],
            Expr::And(v) | Expr::Or(v) => v.iter().flat_map(Expr::comparisons).collect(),
        }
    }

    /// Evaluates against a record. A missing field satisfies only `!=`.
    pub fn matches(&self, r: &dyn Fields) -> bool {
        match self {
            Expr::And(v) => v.iter().all(|e| e.matches(r)),
            Expr::Or(v) => v.iter().any(|e| e.matches(r)),
            Expr::Cmp { field, op, value } => match r.field(field) {
                None => *op == Op::Ne,
                Some(have) => {
                    let eq = || match &have {
                        Value::Text(t) if value.contains('*') => wildcard(value, t),
                        _ => compare(&have, value) == Ordering::Equal,
                    };
                    match op {
                        Op::Eq => eq(),
                        Op::Ne => !eq(),
                        Op::Gt => compare(&have, value) == Ordering::Greater,
                        Op::Ge => compare(&have, value) != Ordering::Less,
                        Op::Lt => compare(&have, value) == Ordering::Less,
                        Op::Le => compare(&have, value) != Ordering::Greater,
                    }
                }
            },
        }
    }
}

/// Numeric when both sides are numbers, otherwise by text.
pub fn compare(have: &Value, want: &str) -> Ordering {
    let num = want.trim().parse::<f64>().ok();
    match (have, num) {
        (Value::Num(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (Value::Text(t), Some(b)) => match t.trim().parse::<f64>() {
            Ok(a) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            Err(_) => t.as_str().cmp(want),
        },
        (Value::Num(a), None) => a.to_string().as_str().cmp(want),
        (Value::Text(t), None) => t.as_str().cmp(want),
    }
}

/// Orders two field values for sorting: missing first, numbers numerically, else text.
pub fn order(a: &Option<Value>, b: &Option<Value>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => {
            let as_num = |v: &Value| match v {
                Value::Num(n) => Some(*n),
                Value::Text(t) => t.trim().parse::<f64>().ok(),
            };
            match (as_num(x), as_num(y)) {
                (Some(m), Some(n)) => m.partial_cmp(&n).unwrap_or(Ordering::Equal),
                _ => text(x).cmp(&text(y)),
            }
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Num(n) => n.to_string(),
        Value::Text(t) => t.clone(),
    }
}

/// `*` matches any run of characters (Apache CXF FIQL convention).
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
#[path = "fiql_tests.rs"]
mod tests;

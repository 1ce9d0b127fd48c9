//! A recursive-descent parser for the grammar in the crate documentation, with recovery: an error
//! inside a comparison skips to the next `AND`, `OR` or `]`, an error in an observation
//! expression skips to the next `[`, so one pass reports every independent problem.

use crate::ast::{
    Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep, Pattern,
    Qualifier, Span,
};
use crate::diagnostic::Diagnostic;
use crate::lexer::{self, Keyword, Kind, Token};
use crate::timestamp::Timestamp;
use crate::{Options, Version};

/// Parses `text` into a tree and every syntax diagnostic (not yet the semantic checks).
pub(crate) fn parse(text: &str, options: &Options) -> (Pattern, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    if text.len() > options.max_len {
        diagnostics.push(Diagnostic::new(
            Span::new(options.max_len, text.len()),
            format!("pattern is longer than the limit of {} bytes", options.max_len),
        ));
        return (Pattern { expr: ObservationExpr::Error(Span::new(0, text.len())) }, diagnostics);
    }
    let tokens = lexer::tokenize(text, &mut diagnostics);
    let mut parser =
        Parser { text, tokens, pos: 0, depth: 0, abandoned: false, options, diagnostics };
    let expr = parser.pattern();
    (Pattern { expr }, parser.diagnostics)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    /// Set when the rest of the input is skipped; later errors are not reported.
    abandoned: bool,
    options: &'a Options,
    diagnostics: Vec<Diagnostic>,
}

/// `None` means an error was reported and the caller should recover.
type Parsed<T> = Option<T>;

impl<'a> Parser<'a> {
    /// pattern = observation_expressions EOF
    fn pattern(&mut self) -> ObservationExpr {
        let expr = self.followed_by();
        while self.kind() != Kind::Eof {
            let token = self.peek();
            self.error_at(
                token,
                format!(
                    "expected `AND`, `OR`, `FOLLOWEDBY`, a qualifier or end of pattern, found {}",
                    self.describe(token)
                ),
            );
            // Skip to the next observation expression and parse it, to report its problems too.
            self.bump();
            while !matches!(self.kind(), Kind::LBrack | Kind::LParen | Kind::Eof) {
                self.bump();
            }
            if self.kind() != Kind::Eof {
                self.followed_by();
            }
        }
        expr
    }

    /// observation_expressions = observation_expression_or (FOLLOWEDBY observation_expression_or)*
    fn followed_by(&mut self) -> ObservationExpr {
        let first = self.or_expr();
        if self.kind() != Kind::Keyword(Keyword::FollowedBy) {
            return first;
        }
        let mut items = vec![first];
        while self.eat_keyword(Keyword::FollowedBy) {
            items.push(self.or_expr());
        }
        flatten_observations(items, ObservationKind::FollowedBy)
    }

    /// observation_expression_or = observation_expression_and (OR observation_expression_and)*
    fn or_expr(&mut self) -> ObservationExpr {
        let first = self.and_expr();
        if self.kind() != Kind::Keyword(Keyword::Or) {
            return first;
        }
        let mut items = vec![first];
        while self.eat_keyword(Keyword::Or) {
            items.push(self.and_expr());
        }
        flatten_observations(items, ObservationKind::Or)
    }

    /// observation_expression_and = observation_expression (AND observation_expression)*
    fn and_expr(&mut self) -> ObservationExpr {
        let first = self.qualified();
        if self.kind() != Kind::Keyword(Keyword::And) {
            return first;
        }
        let mut items = vec![first];
        while self.eat_keyword(Keyword::And) {
            items.push(self.qualified());
        }
        flatten_observations(items, ObservationKind::And)
    }

    /// observation_expression = ( '[' comparison_expression ']' | '(' observation_expressions ')' )
    ///                          qualifier*
    fn qualified(&mut self) -> ObservationExpr {
        let expr = self.primary();
        let mut qualifiers = Vec::new();
        loop {
            let qualifier = match self.kind() {
                Kind::Keyword(Keyword::Within) => self.within(),
                Kind::Keyword(Keyword::Repeats) => self.repeats(),
                Kind::Keyword(Keyword::Start) => self.start_stop(),
                _ => break,
            };
            match qualifier {
                Some(qualifier) => qualifiers.push(qualifier),
                None => break,
            }
        }
        if qualifiers.is_empty() {
            expr
        } else {
            ObservationExpr::Qualified { expr: Box::new(expr), qualifiers }
        }
    }

    fn primary(&mut self) -> ObservationExpr {
        let token = self.peek();
        match token.kind {
            Kind::LBrack => {
                if !self.enter(token) {
                    return self.skip_observation(token);
                }
                self.bump();
                let comparison = self.comparison_or();
                let close = self.peek();
                let span = if close.kind == Kind::RBrack {
                    self.bump();
                    token.span.cover(close.span)
                } else {
                    self.error_at(
                        close,
                        format!(
                            "expected `]`, `AND` or `OR` after a comparison, found {}",
                            self.describe(close)
                        ),
                    );
                    self.skip_past(Kind::RBrack);
                    token.span.cover(self.previous_span())
                };
                self.depth -= 1;
                ObservationExpr::Observation { comparison, span }
            }
            Kind::LParen => {
                if !self.enter(token) {
                    return self.skip_observation(token);
                }
                self.bump();
                let expr = self.followed_by();
                if !self.eat(Kind::RParen) {
                    let found = self.peek();
                    self.error_at(
                        found,
                        format!(
                            "expected `)` or an observation operator, found {}",
                            self.describe(found)
                        ),
                    );
                    self.skip_past(Kind::RParen);
                }
                self.depth -= 1;
                expr
            }
            _ => {
                self.error_at(
                    token,
                    format!("expected `[` or `(`, found {}", self.describe(token)),
                );
                ObservationExpr::Error(token.span)
            }
        }
    }

    /// within_qualifier = WITHIN (IntPosLiteral | FloatPosLiteral) SECONDS
    fn within(&mut self) -> Parsed<Qualifier> {
        let start = self.bump().span;
        let token = self.peek();
        let seconds = match token.kind {
            Kind::IntPos => Literal::Int(self.int(token)?),
            Kind::FloatPos => Literal::Float(self.float(token)?),
            _ => {
                self.error_at(
                    token,
                    format!(
                        "expected a positive number of seconds after `WITHIN`, found {}",
                        self.describe(token)
                    ),
                );
                return None;
            }
        };
        self.bump();
        let end = self.expect_keyword(Keyword::Seconds, "`SECONDS`")?;
        Some(Qualifier::Within { seconds, span: start.cover(end) })
    }

    /// repeated_qualifier = REPEATS IntPosLiteral TIMES
    fn repeats(&mut self) -> Parsed<Qualifier> {
        let start = self.bump().span;
        let token = self.peek();
        if token.kind != Kind::IntPos {
            self.error_at(
                token,
                format!(
                    "expected a positive integer after `REPEATS`, found {}",
                    self.describe(token)
                ),
            );
            return None;
        }
        let times = self.int(token)?;
        self.bump();
        let end = self.expect_keyword(Keyword::Times, "`TIMES`")?;
        Some(Qualifier::Repeats { times, span: start.cover(end) })
    }

    /// start_stop_qualifier = START TimestampLiteral STOP TimestampLiteral
    fn start_stop(&mut self) -> Parsed<Qualifier> {
        let begin = self.bump().span;
        let start = self.timestamp_after("`START`")?;
        self.expect_keyword(Keyword::Stop, "`STOP`")?;
        let stop = self.timestamp_after("`STOP`")?;
        Some(Qualifier::StartStop { start, stop, span: begin.cover(self.previous_span()) })
    }

    fn timestamp_after(&mut self, what: &str) -> Parsed<Timestamp> {
        let token = self.peek();
        if token.kind != Kind::Timestamp {
            self.error_at(
                token,
                format!("expected a timestamp `t'…'` after {what}, found {}", self.describe(token)),
            );
            return None;
        }
        self.bump();
        let text = self.text_of(token);
        // The lexer only makes `Timestamp` tokens of valid timestamps.
        Timestamp::parse(&text[2..text.len() - 1]).ok()
    }

    /// comparison_expression = comparison_expression_and (OR comparison_expression_and)*
    fn comparison_or(&mut self) -> ComparisonExpr {
        let first = self.comparison_and();
        if self.kind() != Kind::Keyword(Keyword::Or) {
            return first;
        }
        let mut items = vec![first];
        while self.eat_keyword(Keyword::Or) {
            items.push(self.comparison_and());
        }
        flatten_comparisons(items, false)
    }

    /// comparison_expression_and = prop_test (AND prop_test)*
    fn comparison_and(&mut self) -> ComparisonExpr {
        let first = self.prop_test_recovering();
        if self.kind() != Kind::Keyword(Keyword::And) {
            return first;
        }
        let mut items = vec![first];
        while self.eat_keyword(Keyword::And) {
            items.push(self.prop_test_recovering());
        }
        flatten_comparisons(items, true)
    }

    fn prop_test_recovering(&mut self) -> ComparisonExpr {
        let start = self.peek().span;
        match self.prop_test() {
            Some(expr) => expr,
            None => {
                // Skip to the next `AND`, `OR`, or the `]`/`)` that closes this level.
                let mut depth = 0usize;
                loop {
                    match self.kind() {
                        Kind::Eof => break,
                        Kind::LParen | Kind::LBrack => depth += 1,
                        Kind::RParen | Kind::RBrack if depth == 0 => break,
                        Kind::RParen | Kind::RBrack => depth -= 1,
                        Kind::Keyword(Keyword::And | Keyword::Or) if depth == 0 => break,
                        _ => {}
                    }
                    self.bump();
                }
                ComparisonExpr::Error(start.cover(self.previous_span()))
            }
        }
    }

    /// prop_test = object_path NOT? operator value
    ///           | NOT? EXISTS object_path
    ///           | '(' comparison_expression ')'
    fn prop_test(&mut self) -> Parsed<ComparisonExpr> {
        let token = self.peek();
        if token.kind == Kind::LParen {
            if !self.enter(token) {
                return None;
            }
            self.bump();
            let inner = self.comparison_or();
            let ok = self.eat(Kind::RParen);
            self.depth -= 1;
            if !ok {
                let found = self.peek();
                self.error_at(
                    found,
                    format!("expected `)`, `AND` or `OR`, found {}", self.describe(found)),
                );
                return None;
            }
            return Some(inner);
        }
        let starts_exists = token.kind == Kind::Keyword(Keyword::Exists)
            || (token.kind == Kind::Keyword(Keyword::Not)
                && self.peek_at(1).kind == Kind::Keyword(Keyword::Exists));
        if starts_exists {
            let negated = self.eat_keyword(Keyword::Not);
            let exists = self.bump();
            if self.options.version == Version::V2_0 {
                self.error_at(exists, "`EXISTS` is not part of STIX 2.0 patterns (added in 2.1)");
                return None;
            }
            let path = self.object_path()?;
            let span = token.span.cover(path.span);
            return Some(ComparisonExpr::Comparison(Comparison {
                path,
                negated,
                op: Operator::Exists,
                span,
            }));
        }
        let path = self.object_path()?;
        let negated = self.eat_keyword(Keyword::Not);
        let op_token = self.peek();
        let is_operator = matches!(
            op_token.kind,
            Kind::Eq
                | Kind::Neq
                | Kind::Gt
                | Kind::Lt
                | Kind::Ge
                | Kind::Le
                | Kind::Keyword(
                    Keyword::In
                        | Keyword::Like
                        | Keyword::Matches
                        | Keyword::IsSubset
                        | Keyword::IsSuperset
                )
        );
        if !is_operator {
            self.error_at(
                op_token,
                format!(
                    "expected a comparison operator (`=`, `!=`, `<`, `<=`, `>`, `>=`, `IN`, \
                     `LIKE`, `MATCHES`, `ISSUBSET`, `ISSUPERSET`), found {}",
                    self.describe(op_token)
                ),
            );
            return None;
        }
        self.bump();
        let op = match op_token.kind {
            Kind::Eq => Operator::Equal(self.primitive_literal(true)?),
            Kind::Neq => Operator::NotEqual(self.primitive_literal(true)?),
            Kind::Gt => Operator::Greater(self.primitive_literal(false)?),
            Kind::Lt => Operator::Less(self.primitive_literal(false)?),
            Kind::Ge => Operator::GreaterOrEqual(self.primitive_literal(false)?),
            Kind::Le => Operator::LessOrEqual(self.primitive_literal(false)?),
            Kind::Keyword(Keyword::In) => Operator::In(self.set_literal()?),
            Kind::Keyword(Keyword::Like) => Operator::Like(self.string_operand("`LIKE`")?),
            Kind::Keyword(Keyword::Matches) => Operator::Matches(self.string_operand("`MATCHES`")?),
            Kind::Keyword(Keyword::IsSubset) => {
                Operator::IsSubset(self.string_operand("`ISSUBSET`")?)
            }
            // `is_operator` leaves only `ISSUPERSET` here.
            _ => Operator::IsSuperset(self.string_operand("`ISSUPERSET`")?),
        };
        let span = path.span.cover(self.previous_span());
        Some(ComparisonExpr::Comparison(Comparison { path, negated, op, span }))
    }

    /// object_path = object_type ':' first_path_component object_path_component*
    fn object_path(&mut self) -> Parsed<ObjectPath> {
        let token = self.peek();
        if !matches!(token.kind, Kind::Ident | Kind::IdentWithHyphen) {
            self.error_at(
                token,
                format!("expected an object type such as `file`, found {}", self.describe(token)),
            );
            return None;
        }
        self.bump();
        let object_type = self.text_of(token).to_owned();
        let colon = self.peek();
        if !self.eat(Kind::Colon) {
            self.error_at(
                colon,
                format!("expected `:` after the object type, found {}", self.describe(colon)),
            );
            return None;
        }
        let mut steps = vec![PathStep::Key(self.key("after `:`")?)];
        loop {
            match self.kind() {
                Kind::Dot => {
                    self.bump();
                    steps.push(PathStep::Key(self.key("after `.`")?));
                }
                Kind::LBrack => {
                    self.bump();
                    let index = self.peek();
                    let step = match index.kind {
                        Kind::IntPos | Kind::IntNeg => PathStep::Index(self.int(index)?),
                        Kind::Star => PathStep::AnyIndex,
                        _ => {
                            self.error_at(
                                index,
                                format!(
                                    "expected a list index or `*`, found {}",
                                    self.describe(index)
                                ),
                            );
                            return None;
                        }
                    };
                    self.bump();
                    let close = self.peek();
                    if !self.eat(Kind::RBrack) {
                        self.error_at(
                            close,
                            format!("expected `]` after the index, found {}", self.describe(close)),
                        );
                        return None;
                    }
                    steps.push(step);
                }
                _ => break,
            }
        }
        Some(ObjectPath { object_type, steps, span: token.span.cover(self.previous_span()) })
    }

    fn key(&mut self, context: &str) -> Parsed<String> {
        let token = self.peek();
        let key = match token.kind {
            Kind::Ident => self.text_of(token).to_owned(),
            Kind::Str => self.string_value(token),
            _ => {
                let hint = if token.kind == Kind::IdentWithHyphen {
                    " (quote property names that contain `-`)"
                } else if matches!(token.kind, Kind::Keyword(_) | Kind::Bool) {
                    " (quote property names that are keywords)"
                } else {
                    ""
                };
                self.error_at(
                    token,
                    format!(
                        "expected a property name {context}, found {}{hint}",
                        self.describe(token)
                    ),
                );
                return None;
            }
        };
        self.bump();
        Some(key)
    }

    /// set_literal = '(' ')' | '(' primitive_literal (',' primitive_literal)* ')'
    fn set_literal(&mut self) -> Parsed<Vec<Literal>> {
        let open = self.peek();
        if !self.eat(Kind::LParen) {
            self.error_at(open, format!("expected `(` after `IN`, found {}", self.describe(open)));
            return None;
        }
        let mut items = Vec::new();
        if self.eat(Kind::RParen) {
            return Some(items);
        }
        loop {
            items.push(self.primitive_literal(true)?);
            let token = self.peek();
            if self.eat(Kind::RParen) {
                return Some(items);
            }
            if !self.eat(Kind::Comma) {
                self.error_at(
                    token,
                    format!("expected `,` or `)`, found {}", self.describe(token)),
                );
                return None;
            }
        }
    }

    /// primitive_literal = orderable_literal | BoolLiteral
    fn primitive_literal(&mut self, allow_bool: bool) -> Parsed<Literal> {
        let token = self.peek();
        let text = self.text_of(token);
        let literal = match token.kind {
            Kind::IntPos | Kind::IntNeg => Literal::Int(self.int(token)?),
            Kind::FloatPos | Kind::FloatNeg => Literal::Float(self.float(token)?),
            Kind::Str => Literal::String(self.string_value(token)),
            Kind::Bool if allow_bool => Literal::Bool(text == "true"),
            Kind::Hex => Literal::Hex(decode_hex(&text[2..text.len() - 1])),
            Kind::Binary => Literal::Binary(decode_base64(&text[2..text.len() - 1])),
            Kind::Timestamp => Literal::Timestamp(Timestamp::parse(&text[2..text.len() - 1]).ok()?),
            Kind::Bool => {
                self.error_at(token, "booleans have no order: use `=` or `!=` with `true`/`false`");
                return None;
            }
            _ => {
                self.error_at(
                    token,
                    format!(
                        "expected a constant (string, number, boolean, b'…', h'…' or t'…'), \
                         found {}",
                        self.describe(token)
                    ),
                );
                return None;
            }
        };
        self.bump();
        Some(literal)
    }

    fn string_operand(&mut self, after: &str) -> Parsed<String> {
        let token = self.peek();
        if token.kind != Kind::Str {
            self.error_at(
                token,
                format!("expected a string after {after}, found {}", self.describe(token)),
            );
            return None;
        }
        self.bump();
        Some(self.string_value(token))
    }

    fn int(&mut self, token: Token) -> Parsed<i64> {
        match self.text_of(token).parse::<i64>() {
            Ok(value) => Some(value),
            Err(_) => {
                self.error_at(token, "integer does not fit in 64 bits");
                None
            }
        }
    }

    fn float(&mut self, token: Token) -> Parsed<f64> {
        match self.text_of(token).parse::<f64>() {
            Ok(value) if value.is_finite() => Some(value),
            _ => {
                self.error_at(token, "float is out of range");
                None
            }
        }
    }

    fn string_value(&self, token: Token) -> String {
        let text = self.text_of(token);
        lexer::unescape(&text[1..text.len() - 1])
    }

    fn expect_keyword(&mut self, keyword: Keyword, name: &str) -> Parsed<Span> {
        let token = self.peek();
        if self.eat_keyword(keyword) {
            Some(token.span)
        } else {
            self.error_at(token, format!("expected {name}, found {}", self.describe(token)));
            None
        }
    }

    /// Enters a nesting level, reporting when the depth limit is reached.
    fn enter(&mut self, token: Token) -> bool {
        if self.depth >= self.options.max_depth {
            self.error_at(
                token,
                format!("nesting is deeper than the limit of {}", self.options.max_depth),
            );
            self.abandoned = true;
            return false;
        }
        self.depth += 1;
        true
    }

    fn skip_observation(&mut self, token: Token) -> ObservationExpr {
        // Give up on the rest: past the depth limit the text is hostile or broken.
        self.abandoned = true;
        while self.kind() != Kind::Eof {
            self.bump();
        }
        ObservationExpr::Error(token.span.cover(self.previous_span()))
    }

    /// Skips past the next `kind` at this nesting level (or to the end).
    fn skip_past(&mut self, kind: Kind) {
        let mut depth = 0usize;
        loop {
            let current = self.kind();
            if current == Kind::Eof {
                return;
            }
            self.bump();
            match current {
                Kind::LBrack | Kind::LParen => depth += 1,
                k if k == kind && depth == 0 => return,
                Kind::RBrack | Kind::RParen => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    fn peek(&self) -> Token {
        self.peek_at(0)
    }

    fn peek_at(&self, offset: usize) -> Token {
        // `tokenize` always ends with `Eof`, and `bump` never moves past it.
        self.tokens[(self.pos + offset).min(self.tokens.len() - 1)]
    }

    fn kind(&self) -> Kind {
        self.peek().kind
    }

    fn bump(&mut self) -> Token {
        let token = self.peek();
        if token.kind != Kind::Eof {
            self.pos += 1;
        }
        token
    }

    fn previous_span(&self) -> Span {
        if self.pos == 0 { self.peek().span } else { self.tokens[self.pos - 1].span }
    }

    fn eat(&mut self, kind: Kind) -> bool {
        if self.kind() == kind {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_keyword(&mut self, keyword: Keyword) -> bool {
        self.eat(Kind::Keyword(keyword))
    }

    fn text_of(&self, token: Token) -> &'a str {
        &self.text[token.span.start as usize..token.span.end as usize]
    }

    fn describe(&self, token: Token) -> String {
        match token.kind {
            Kind::Eof => "end of pattern".to_owned(),
            _ => {
                let text = self.text_of(token);
                let short: String = text.chars().take(40).collect();
                if short.len() < text.len() { format!("`{short}…`") } else { format!("`{text}`") }
            }
        }
    }

    fn error_at(&mut self, token: Token, message: impl Into<String>) {
        // The lexer already reported what is wrong with an `Error` token, and a second error at
        // the same place is a consequence of the first.
        let repeated = self.diagnostics.iter().any(|d| d.span.start == token.span.start);
        if token.kind != Kind::Error && !repeated && !self.abandoned {
            self.diagnostics.push(Diagnostic::new(token.span, message));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ObservationKind {
    And,
    Or,
    FollowedBy,
}

/// Joins `items` with one operator, splicing in operands that are the same operator (from
/// parentheses), so that chains are flat whatever their grouping.
fn flatten_observations(items: Vec<ObservationExpr>, kind: ObservationKind) -> ObservationExpr {
    if items.len() == 1 {
        return items.into_iter().next().unwrap_or(ObservationExpr::Error(Span::default()));
    }
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match (item, kind) {
            (ObservationExpr::And(inner), ObservationKind::And)
            | (ObservationExpr::Or(inner), ObservationKind::Or)
            | (ObservationExpr::FollowedBy(inner), ObservationKind::FollowedBy) => {
                flat.extend(inner)
            }
            (item, _) => flat.push(item),
        }
    }
    match kind {
        ObservationKind::And => ObservationExpr::And(flat),
        ObservationKind::Or => ObservationExpr::Or(flat),
        ObservationKind::FollowedBy => ObservationExpr::FollowedBy(flat),
    }
}

fn flatten_comparisons(items: Vec<ComparisonExpr>, and: bool) -> ComparisonExpr {
    if items.len() == 1 {
        return items.into_iter().next().unwrap_or(ComparisonExpr::Error(Span::default()));
    }
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match item {
            ComparisonExpr::And(inner) if and => flat.extend(inner),
            ComparisonExpr::Or(inner) if !and => flat.extend(inner),
            item => flat.push(item),
        }
    }
    if and { ComparisonExpr::And(flat) } else { ComparisonExpr::Or(flat) }
}

/// Decodes hex digits; the lexer has checked them.
pub(crate) fn decode_hex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            digit(pair[0]) << 4 | digit(pair.get(1).copied().unwrap_or(b'0'))
        })
        .collect()
}

/// Decodes standard base64, ignoring padding and any character outside the alphabet.
pub(crate) fn decode_base64(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        buffer = buffer << 6 | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// Encodes standard base64 with padding.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{Options, Version};

    /// Parses leniently and renders the printed tree followed by each diagnostic.
    #[track_caller]
    fn check(text: &str) -> String {
        check_version(text, Version::V2_1)
    }

    #[track_caller]
    fn check_version(text: &str, version: Version) -> String {
        let (pattern, diagnostics) =
            crate::parse_lenient_with(text, &Options::for_version(version));
        let mut out = pattern.to_string();
        for diagnostic in diagnostics {
            out.push('\n');
            out.push_str(&diagnostic.to_string());
        }
        out
    }

    #[test]
    fn spec_examples() {
        insta::assert_snapshot!(check("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']"), @"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']");
        insta::assert_snapshot!(check("[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']"), @r"[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']");
        insta::assert_snapshot!(check("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf'] FOLLOWEDBY [file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] WITHIN 300 SECONDS"), @"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf'] FOLLOWEDBY [file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] WITHIN 300 SECONDS");
        insta::assert_snapshot!(check("([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS"), @"([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS");
        insta::assert_snapshot!(check("[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24' AND network-traffic:dst_port IN (80, 443)] REPEATS 5 TIMES START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'"), @"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24' AND network-traffic:dst_port IN (80, 443)] REPEATS 5 TIMES START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'");
        insta::assert_snapshot!(check("[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\System\\\\Foo' AND windows-registry-key:values[*].name = 'Foo'] AND [x-usb-device:usbdrive.serial_number = '575833314133343231313937']"), @r"[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\System\\Foo' AND windows-registry-key:values[*].name = 'Foo'] AND [x-usb-device:usbdrive.serial_number = '575833314133343231313937']");
        insta::assert_snapshot!(check("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 AND file:size NOT <= 1024 AND file:x[-1] != true]"), @"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 AND file:size NOT <= 1024 AND file:x[-1] != true]");
    }

    #[test]
    fn constants() {
        insta::assert_snapshot!(check("[a:b IN (1, -2, +3, 1.5, -.5, 'x', true, false, b'AQID', h'0aFF', t'2016-01-01T00:00:00.120Z')]"), @"[a:b IN (1, -2, 3, 1.5, -0.5, 'x', true, false, b'AQID', h'0aff', t'2016-01-01T00:00:00.12Z')]");
        insta::assert_snapshot!(check(r"[a:b = 'it\'s a \\ path']"), @r"[a:b = 'it\'s a \\ path']");
        insta::assert_snapshot!(check("[a:b = 99999999999999999999]"), @"
        [<error>]
        error 7..27: integer does not fit in 64 bits
        ");
        insta::assert_snapshot!(check("[a:b = t'2016-02-30T00:00:00Z']"), @"
        [<error>]
        error 7..30: invalid timestamp literal: no such date or time
        ");
        insta::assert_snapshot!(check("[a:b > true]"), @"
        [<error>]
        error 7..11: booleans have no order: use `=` or `!=` with `true`/`false`
        ");
        insta::assert_snapshot!(check("[a:b IN ()] AND [a:c IN (1,)]"), @"
        [a:b IN ()] AND [<error>]
        error 27..28: expected a constant (string, number, boolean, b'…', h'…' or t'…'), found `)`
        ");
    }

    #[test]
    fn operators_and_precedence() {
        insta::assert_snapshot!(check("[a:b = 1 OR a:c = 2 AND a:d = 3]"), @"[a:b = 1 OR a:c = 2 AND a:d = 3]");
        insta::assert_snapshot!(check("[(a:b = 1 OR a:c = 2) AND a:d = 3]"), @"[(a:b = 1 OR a:c = 2) AND a:d = 3]");
        insta::assert_snapshot!(check("[a:b = 1] OR [a:c = 2] AND [a:d = 3] FOLLOWEDBY [a:e = 4]"), @"[a:b = 1] OR [a:c = 2] AND [a:d = 3] FOLLOWEDBY [a:e = 4]");
        insta::assert_snapshot!(check("(([a:b = 1] OR [a:c = 2]) OR [a:e = 4]) AND ([a:d = 3] FOLLOWEDBY [a:f = 5])"), @"([a:b = 1] OR [a:c = 2] OR [a:e = 4]) AND ([a:d = 3] FOLLOWEDBY [a:f = 5])");
        insta::assert_snapshot!(check("[a:b == 1 AND a:c <> 2 AND a:d NOT LIKE 'x%' AND a:e NOT IN (1) AND NOT EXISTS a:f AND EXISTS a:g]"), @"[a:b = 1 AND a:c != 2 AND a:d NOT LIKE 'x%' AND a:e NOT IN (1) AND NOT EXISTS a:f AND EXISTS a:g]");
        insta::assert_snapshot!(check("[a:b ISSUPERSET '10.0.0.1' AND a:'AND'.'x-y'.'' = 1 /* comment */ ] // trailing"), @"[a:b ISSUPERSET '10.0.0.1' AND a:'AND'.'x-y'.'' = 1]");
    }

    #[test]
    fn qualifiers() {
        insta::assert_snapshot!(check("[a:b = 1] WITHIN 5.5 SECONDS REPEATS 2 TIMES"), @"[a:b = 1] WITHIN 5.5 SECONDS REPEATS 2 TIMES");
        insta::assert_snapshot!(check("([a:b = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS"), @"([a:b = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS");
        insta::assert_snapshot!(check("[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS"), @"
        [a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS
        error 27..43: duplicate `WITHIN` qualifier on the same observation expression
        ");
        insta::assert_snapshot!(check_version("[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS", Version::V2_0), @"[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS");
        insta::assert_snapshot!(check("[a:b = 1] WITHIN 0 SECONDS AND [a:b = 1] REPEATS 0 TIMES"), @"
        [a:b = 1] WITHIN 0 SECONDS AND [a:b = 1] REPEATS 0 TIMES
        error 10..26: `WITHIN` needs a positive number of seconds
        error 41..56: `REPEATS` needs a positive number of times
        ");
        insta::assert_snapshot!(check("[a:b = 1] START t'2017-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'"), @"
        [a:b = 1] START t'2017-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'
        error 10..68: `START` must be earlier than `STOP`
        ");
        insta::assert_snapshot!(check("[a:b = 1] WITHIN -5 SECONDS"), @"
        [a:b = 1]
        error 17..19: expected a positive number of seconds after `WITHIN`, found `-5`
        ");
        insta::assert_snapshot!(check("[a:b = 1] START '2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'"), @"
        [a:b = 1]
        error 16..38: expected a timestamp `t'…'` after `START`, found `'2016-01-01T00:00:00Z'`
        ");
        insta::assert_snapshot!(check("[a:b = 1] REPEATS 5.0 TIMES"), @"
        [a:b = 1]
        error 18..21: expected a positive integer after `REPEATS`, found `5.0`
        ");
    }

    #[test]
    fn version_2_0() {
        insta::assert_snapshot!(check_version("[EXISTS file:name]", Version::V2_0), @"
        [<error>]
        error 1..7: `EXISTS` is not part of STIX 2.0 patterns (added in 2.1)
        ");
    }

    #[test]
    fn hashes() {
        insta::assert_snapshot!(check("[file:hashes.MD5 = 'abc' OR file:hashes.'SHA-1' IN ('da39a3ee5e6b4b0d3255bfef95601890afd80709', 'x') OR file:hashes.MD5 LIKE 'd4%']"), @"
        [file:hashes.MD5 = 'abc' OR file:hashes.'SHA-1' IN ('da39a3ee5e6b4b0d3255bfef95601890afd80709', 'x') OR file:hashes.MD5 LIKE 'd4%']
        error 1..24: 'abc' is not a valid MD5 hash
        error 28..100: 'x' is not a valid SHA-1 hash
        ");
    }

    #[test]
    fn errors_name_what_was_expected() {
        insta::assert_snapshot!(check("[file:name = 'a.exe'"), @"
        [file:name = 'a.exe']
        error 20..20: expected `]`, `AND` or `OR` after a comparison, found end of pattern
        ");
        insta::assert_snapshot!(check("file:name = 'a.exe'"), @"
        [<error>]
        error 0..4: expected `[` or `(`, found `file`
        ");
        insta::assert_snapshot!(check("[file:name = 'a' and file:size = 1]"), @"
        [file:name = 'a']
        error 17..20: expected `]`, `AND` or `OR` after a comparison, found `and`
        ");
        insta::assert_snapshot!(check("[file:name = 'a'] and [file:size = 1]"), @"
        [file:name = 'a']
        error 18..21: expected `AND`, `OR`, `FOLLOWEDBY`, a qualifier or end of pattern, found `and`
        ");
        insta::assert_snapshot!(check("[file:name-x = 1]"), @"
        [<error>]
        error 6..12: expected a property name after `:`, found `name-x` (quote property names that contain `-`)
        ");
        insta::assert_snapshot!(check("[file:x.AND = 1]"), @"
        [<error> AND <error>]
        error 8..11: expected a property name after `.`, found `AND` (quote property names that are keywords)
        error 12..13: expected an object type such as `file`, found `=`
        ");
        insta::assert_snapshot!(check("[file:x = 'a\\q']"), @r"
        [<error>]
        error 12..14: invalid escape in string literal: only \' and \\ are allowed
        ");
        insta::assert_snapshot!(check("[file:x = 0123]"), @"
        [file:x = 0]
        error 11..14: expected `]`, `AND` or `OR` after a comparison, found `123`
        ");
        insta::assert_snapshot!(check("[]"), @"
        [<error>]
        error 1..2: expected an object type such as `file`, found `]`
        ");
        insta::assert_snapshot!(check(""), @"
        [<error>]
        error 0..0: expected `[` or `(`, found end of pattern
        ");
        insta::assert_snapshot!(check("[file:x[a] = 1]"), @"
        [<error>]
        error 8..9: expected a list index or `*`, found `a`
        error 11..12: expected `AND`, `OR`, `FOLLOWEDBY`, a qualifier or end of pattern, found `=`
        ");
    }

    #[test]
    fn lenient_reports_every_independent_error() {
        insta::assert_snapshot!(check("[a:b = ] AND [c:d = 1 OR c:e ~ 2 OR c:f = 3] FOLLOWEDBY [g:h = h'1'] WITHIN 0 SECONDS"), @"
        [<error>] AND [c:d = 1 OR <error> OR c:f = 3] FOLLOWEDBY [<error>] WITHIN 0 SECONDS
        error 7..8: expected a constant (string, number, boolean, b'…', h'…' or t'…'), found `]`
        error 29..30: expected a comparison operator (`=`, `!=`, `<`, `<=`, `>`, `>=`, `IN`, `LIKE`, `MATCHES`, `ISSUBSET`, `ISSUPERSET`), found `~`
        error 63..67: invalid hex literal: expected pairs of hex digits
        error 69..85: `WITHIN` needs a positive number of seconds
        ");
    }

    #[test]
    fn limits() {
        let deep = format!("{}[a:b = 1]{}", "(".repeat(100), ")".repeat(100));
        insta::assert_snapshot!(check(&deep), @"
        [<error>]
        error 64..65: nesting is deeper than the limit of 64
        ");
        let long = format!("[a:b = '{}']", "x".repeat(crate::MAX_PATTERN_BYTES));
        insta::assert_snapshot!(check(&long), @"
        [<error>]
        error 131072..131082: pattern is longer than the limit of 131072 bytes
        ");
        // A long flat chain is fine: chains are lists, not nested trees.
        let wide = vec!["[a:b = 1]"; 5000].join(" OR ");
        assert_eq!(crate::parse(&wide).map(|p| p.to_string()), Ok(wide));
    }
}

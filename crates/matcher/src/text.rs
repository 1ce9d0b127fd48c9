//! Plain-text logs: any indicator anywhere in the line. The line is cut into words at spaces,
//! quotes, brackets and similar delimiters; a word that is not a URL is cut further at `=` and
//! `,` (for `key=value` logs); each piece is trimmed of surrounding punctuation and looked up by
//! the kind it looks like.

/// Calls `visit` with each candidate value in `line`.
#[inline]
pub(crate) fn candidates(line: &[u8], visit: &mut impl FnMut(&[u8])) {
    for word in line.split(|&b| is_delimiter(b)).filter(|w| !w.is_empty()) {
        let (word, url) = match memchr::memmem::find(word, b"://") {
            Some(at) => {
                let scheme = word[..at]
                    .iter()
                    .rposition(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
                    .map_or(0, |p| p + 1);
                (&word[..scheme], Some(&word[scheme..]))
            }
            None => (word, None),
        };
        for piece in word.split(|&b| b == b'=' || b == b',') {
            emit(piece, visit);
        }
        if let Some(url) = url {
            emit(url, visit);
        }
    }
}

fn emit(piece: &[u8], visit: &mut impl FnMut(&[u8])) {
    let start = piece.iter().position(|&b| !is_leading_junk(b)).unwrap_or(piece.len());
    let end = piece.iter().rposition(|&b| !is_trailing_junk(b)).map_or(start, |e| e + 1);
    if end > start + 2 {
        visit(&piece[start..end]);
    }
}

#[inline]
fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\r'
            | b'"'
            | b'\''
            | b'<'
            | b'>'
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b';'
            | b'|'
            | b'\\'
            | b'^'
            | b'`'
    )
}

fn is_leading_junk(b: u8) -> bool {
    matches!(b, b'[' | b'.' | b':' | b'/' | b'@' | b'#' | b'*' | b'!' | b'?' | b'&')
}

fn is_trailing_junk(b: u8) -> bool {
    matches!(b, b']' | b'.' | b':' | b'/' | b'@' | b'#' | b'*' | b'!' | b'?' | b'&')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(line: &str) -> String {
        let mut out = Vec::new();
        candidates(line.as_bytes(), &mut |c| out.push(String::from_utf8_lossy(c).into_owned()));
        out.join(" ")
    }

    #[test]
    fn words() {
        assert_eq!(
            check(
                "Jan 1 00:00:01 host named[123]: client 198.51.100.7#5353 (evil.example): query: evil.example IN A +"
            ),
            "Jan 00:00:01 host named 123 client 198.51.100.7#5353 evil.example query evil.example"
        );
        assert_eq!(
            check("GET http://evil.example/a?b=c,d \"ref=https://x.example/\""),
            "GET http://evil.example/a?b=c,d ref https://x.example"
        );
        assert_eq!(
            check("src=10.0.0.1,dst=[2001:db8::1]:443 user=<bad@evil.example>."),
            "src 10.0.0.1 dst 2001:db8::1 443 user bad@evil.example"
        );
    }
}

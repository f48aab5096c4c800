"""Text analysis for the Solr stand-in: the tokenizers and filters named in a Solr schema.

A ``TextField`` in ``schema.xml`` declares an analyzer chain per phase (index, query); this module
builds those chains from the factory class names and their attributes, so that the stand-in
tokenizes, splits, lower-cases, stems and folds text the way CKAN's schema tells Solr to. Filters it
does not know (synonyms, stop words) are skipped with a warning: searching still works, only those
refinements are missing.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from portal.stemmer import stem

log = logging.getLogger(__name__)
_warned: set[str] = set()


def _warn_once(message: str, name: str) -> None:
    if name not in _warned:
        _warned.add(name)
        log.warning(message, name)


@dataclass(frozen=True)
class Token:
    """One analysed term at a position; ``overlap`` tokens share a position and add no length."""

    text: str
    position: int
    overlap: bool = False


TokenStream = list[Token]
Tokenizer = Callable[[str], TokenStream]


@dataclass(frozen=True)
class TokenFilter:
    """A step of an analyzer chain; ``multiterm`` filters also apply to wildcard and range terms."""

    name: str
    apply: Callable[[TokenStream], TokenStream]
    multiterm: bool = False
    normalize: Callable[[str], str] | None = None


_ANALYZED_MAX = 50_000  # analysed texts remembered per analyzer (values repeat across documents)


@dataclass(frozen=True)
class Analyzer:
    """A tokenizer followed by filters, as declared by one ``<analyzer>`` element.

    Analysis is a pure function of the text, and most values repeat (CKAN indexes every dataset twice
    on create, licences, formats, organisations and URIs recur), so results are remembered per text.
    """

    tokenizer: Tokenizer
    filters: tuple[TokenFilter, ...] = ()
    ngram: tuple[int, int] | None = None
    description: str = ""
    _analyzed: dict[str, tuple[Token, ...]] = field(default_factory=dict, compare=False, repr=False)

    def analyze(self, text: str) -> TokenStream:
        """Turn ``text`` into its tokens with positions starting at 0."""
        known = self._analyzed.get(text)
        if known is not None:
            return list(known)
        tokens = self.tokenizer(text)
        for token_filter in self.filters:
            tokens = token_filter.apply(tokens)
        if len(self._analyzed) >= _ANALYZED_MAX:
            self._analyzed.clear()
        self._analyzed[text] = tuple(tokens)
        return tokens

    def normalize(self, text: str) -> str:
        """Apply the multi-term aware filters only (for wildcard, prefix, range and fuzzy terms)."""
        for token_filter in self.filters:
            if token_filter.multiterm and token_filter.normalize is not None:
                text = token_filter.normalize(text)
        return text


# -- tokenizers ---------------------------------------------------------------------------------


def whitespace_tokenizer(text: str) -> TokenStream:
    """Split on whitespace, as Lucene's WhitespaceTokenizer."""
    return [Token(part, i) for i, part in enumerate(text.split())]


def keyword_tokenizer(text: str) -> TokenStream:
    """The whole input as one token."""
    return [Token(text, 0)] if text else []


def standard_tokenizer(text: str) -> TokenStream:
    """Approximate Lucene's StandardTokenizer: runs of letters and digits."""
    parts: list[str] = []
    current: list[str] = []
    for char in text:
        if char.isalnum() or unicodedata.category(char).startswith("M"):
            current.append(char)
        elif current:
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return [Token(part, i) for i, part in enumerate(parts)]


def ngram_tokenizer(min_gram: int, max_gram: int) -> Tokenizer:
    """All substrings of ``min_gram`` to ``max_gram`` characters, as Lucene's NGramTokenizer."""

    def tokenize(text: str) -> TokenStream:
        tokens: list[Token] = []
        for start in range(len(text)):
            for size in range(min_gram, max_gram + 1):
                if start + size > len(text):
                    break
                tokens.append(Token(text[start : start + size], len(tokens)))
        return tokens

    return tokenize


# -- word delimiter -----------------------------------------------------------------------------

_LOWER, _UPPER, _DIGIT, _DELIM = 1, 2, 3, 0


def _char_class(char: str) -> int:
    if char.isalpha():
        return _UPPER if char.isupper() else _LOWER
    if char.isnumeric():
        return _DIGIT
    if unicodedata.category(char).startswith("M"):
        return _LOWER
    return _DELIM


@dataclass(frozen=True)
class WordDelimiterOptions:
    """The attributes of WordDelimiter(Graph)FilterFactory that change its output."""

    generate_word_parts: bool = True
    generate_number_parts: bool = True
    catenate_words: bool = False
    catenate_numbers: bool = False
    catenate_all: bool = False
    split_on_case_change: bool = True
    split_on_numerics: bool = True
    preserve_original: bool = False
    stem_english_possessive: bool = True


def split_subwords(word: str, options: WordDelimiterOptions) -> list[tuple[str, bool]]:
    """Split ``word`` into (part, is_alpha) pairs at delimiters, case changes and digit borders."""
    if options.stem_english_possessive and len(word) > 2 and word[-2] == "'" and word[-1] in "sS":
        word = word[:-2]
    parts: list[tuple[str, bool]] = []
    start = -1
    last = _DELIM
    for i, char in enumerate(word):
        kind = _char_class(char)
        if kind == _DELIM:
            if start >= 0:
                parts.append((word[start:i], last != _DIGIT))
                start = -1
            last = _DELIM
            continue
        if start < 0:
            start, last = i, kind
            continue
        alpha_border = options.split_on_numerics and ((last == _DIGIT) != (kind == _DIGIT))
        case_border = options.split_on_case_change and last == _LOWER and kind == _UPPER
        if alpha_border or case_border:
            parts.append((word[start:i], last != _DIGIT))
            start = i
        last = kind
    if start >= 0:
        parts.append((word[start:], last != _DIGIT))
    return parts


def _catenations(parts: list[tuple[str, bool]], options: WordDelimiterOptions) -> list[tuple[int, str]]:
    """Concatenated runs of word or number parts as (index of first part, text)."""
    result: list[tuple[int, str]] = []
    run_start = 0
    for i in range(1, len(parts) + 1):
        if i == len(parts) or parts[i][1] != parts[run_start][1]:
            if i - run_start >= 2:
                is_alpha = parts[run_start][1]
                if (is_alpha and options.catenate_words) or (not is_alpha and options.catenate_numbers):
                    result.append((run_start, "".join(p for p, _ in parts[run_start:i])))
            run_start = i
    if options.catenate_all and len(parts) >= 2:
        result.append((0, "".join(p for p, _ in parts)))
    return result


def word_delimiter_filter(options: WordDelimiterOptions) -> Callable[[TokenStream], TokenStream]:
    """Build the WordDelimiter filter: split tokens into parts, optionally add catenations."""

    def apply(tokens: TokenStream) -> TokenStream:
        out: list[Token] = []
        shift = 0
        for token in tokens:
            base = token.position + shift
            parts = split_subwords(token.text, options)
            if len(parts) == 1 and parts[0][0] == token.text:
                out.append(Token(token.text, base, token.overlap))
                continue
            kept = [
                (i, text)
                for i, (text, is_alpha) in enumerate(parts)
                if (is_alpha and options.generate_word_parts)
                or (not is_alpha and options.generate_number_parts)
            ]
            for offset, (_, text) in enumerate(kept):
                out.append(Token(text, base + offset, token.overlap))
            index_to_offset = {i: offset for offset, (i, _) in enumerate(kept)}
            for first, text in _catenations(parts, options):
                out.append(Token(text, base + index_to_offset.get(first, 0), True))
            if options.preserve_original:
                out.append(Token(token.text, base, True))
            shift += max(len(kept), 1) - 1
        return out

    return apply


# -- simple filters -----------------------------------------------------------------------------

_FOLDING_EXTRA = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "TH",
    "ı": "i",
    "ſ": "s",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
}


def ascii_fold(text: str) -> str:
    """Fold non-ASCII letters to their ASCII base, as Lucene's ASCIIFoldingFilter does."""
    if text.isascii():
        return text
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char in _FOLDING_EXTRA:
            out.append(_FOLDING_EXTRA[char])
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
            out.append(base if base.isascii() and base else char)
    return "".join(out)


def _map_tokens(func: Callable[[str], str]) -> Callable[[TokenStream], TokenStream]:
    def apply(tokens: TokenStream) -> TokenStream:
        out: list[Token] = []
        for token in tokens:
            text = func(token.text)
            if text:
                out.append(Token(text, token.position, token.overlap))
        return out

    return apply


def _strip_possessive(text: str) -> str:
    return text[:-2] if len(text) > 2 and text[-2] in "'’" and text[-1] in "sS" else text


def _dedupe(tokens: TokenStream) -> TokenStream:
    seen: set[tuple[str, int]] = set()
    out: list[Token] = []
    for token in tokens:
        key = (token.text, token.position)
        if key not in seen:
            seen.add(key)
            out.append(token)
    return out


def _identity(tokens: TokenStream) -> TokenStream:
    return tokens


# -- factories ----------------------------------------------------------------------------------


def _short_name(class_name: str) -> str:
    return class_name.rsplit(".", 1)[-1]


def _flag(attrs: Mapping[str, str], name: str, default: bool) -> bool:
    value = attrs.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def build_tokenizer(class_name: str, attrs: Mapping[str, str]) -> tuple[Tokenizer, tuple[int, int] | None]:
    """Return the tokenizer for a factory class name, and its n-gram sizes if it makes n-grams."""
    name = _short_name(class_name)
    if name == "WhitespaceTokenizerFactory":
        return whitespace_tokenizer, None
    if name == "KeywordTokenizerFactory":
        return keyword_tokenizer, None
    if name == "NGramTokenizerFactory":
        sizes = (int(attrs.get("minGramSize", "1")), int(attrs.get("maxGramSize", "2")))
        return ngram_tokenizer(*sizes), sizes
    if name not in ("StandardTokenizerFactory", "ClassicTokenizerFactory", "LetterTokenizerFactory"):
        _warn_once("tokenizer %s is not supported; using a standard tokenizer instead", name)
    return standard_tokenizer, None


def build_filter(class_name: str, attrs: Mapping[str, str]) -> TokenFilter:
    """Return the token filter for a factory class name; unknown filters become a no-op."""
    name = _short_name(class_name)
    if name in ("WordDelimiterGraphFilterFactory", "WordDelimiterFilterFactory"):
        options = WordDelimiterOptions(
            generate_word_parts=_flag(attrs, "generateWordParts", True),
            generate_number_parts=_flag(attrs, "generateNumberParts", True),
            catenate_words=_flag(attrs, "catenateWords", False),
            catenate_numbers=_flag(attrs, "catenateNumbers", False),
            catenate_all=_flag(attrs, "catenateAll", False),
            split_on_case_change=_flag(attrs, "splitOnCaseChange", True),
            split_on_numerics=_flag(attrs, "splitOnNumerics", True),
            preserve_original=_flag(attrs, "preserveOriginal", False),
            stem_english_possessive=_flag(attrs, "stemEnglishPossessive", True),
        )
        return TokenFilter(name, word_delimiter_filter(options))
    if name == "LowerCaseFilterFactory":
        return TokenFilter(name, _map_tokens(str.lower), multiterm=True, normalize=str.lower)
    if name == "ASCIIFoldingFilterFactory":
        return TokenFilter(name, _map_tokens(ascii_fold), multiterm=True, normalize=ascii_fold)
    if name == "TrimFilterFactory":
        return TokenFilter(name, _map_tokens(str.strip), multiterm=True, normalize=str.strip)
    if name in ("SnowballPorterFilterFactory", "PorterStemFilterFactory", "KStemFilterFactory"):
        language = attrs.get("language", "English")
        if language != "English":
            _warn_once("stemming for %s is not supported; terms are left unstemmed", language)
            return TokenFilter(name, _identity)
        return TokenFilter(name, _map_tokens(stem))
    if name == "EnglishPossessiveFilterFactory":
        return TokenFilter(name, _map_tokens(_strip_possessive))
    if name == "RemoveDuplicatesTokenFilterFactory":
        return TokenFilter(name, _dedupe)
    if name != "FlattenGraphFilterFactory":
        _warn_once("filter %s is not supported by the stand-in and is skipped", name)
    return TokenFilter(name, _identity)


@dataclass(frozen=True)
class AnalyzerSpec:
    """The declaration of one analyzer: tokenizer and filters with their attributes."""

    tokenizer: tuple[str, dict[str, str]]
    filters: Sequence[tuple[str, dict[str, str]]] = field(default_factory=tuple)


def build_analyzer(spec: AnalyzerSpec) -> Analyzer:
    """Build a runnable analyzer from its declaration."""
    tokenizer, ngram = build_tokenizer(*spec.tokenizer)
    filters = tuple(build_filter(name, attrs) for name, attrs in spec.filters)
    description = " > ".join([_short_name(spec.tokenizer[0]), *(f.name for f in filters)])
    return Analyzer(tokenizer, filters, ngram, description)


KEYWORD_ANALYZER = Analyzer(keyword_tokenizer, (), None, "KeywordTokenizer")

"""Tokenizers of the prior: REINVENT-style regex SMILES tokens, or SELFIES symbols (optional).

Both take SMILES in and give SMILES out; a vocabulary is built from training data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["SMILES_REGEX", "TOKENIZERS", "SelfiesTokenizer", "SmilesTokenizer", "UnknownTokenError", "tokenizer_from_dict"]

#: One SMILES token: a bracket atom, a two-letter halogen, an organic-subset atom, a bond,
#: a branch, a ``%nn`` ring closure or a one-digit ring closure (REINVENT's pattern).
SMILES_REGEX = re.compile(r"(\[[^\]]+]|Br|Cl|B|C|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9])")

PAD, BOS, EOS = "<pad>", "^", "$"
_SPECIAL = (PAD, BOS, EOS)


class UnknownTokenError(KeyError, ValueError):
    """A SMILES holds a token that is not in the vocabulary, or a character no token matches.

    Attributes
    ----------
    smiles : str
        The offending input.
    token : str
        The unknown token (or unmatched text).
    """

    def __init__(self, smiles: str, token: str | None, reason: str):
        self.smiles = smiles
        self.token = token
        shown = smiles if len(smiles) <= 80 else smiles[:77] + "..."
        what = "" if token is None else f" {token!r} in"
        super().__init__(f"{reason}{what} SMILES {shown!r}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class SmilesTokenizer:
    """Split SMILES into tokens and map them to integer ids.

    Ids 0, 1 and 2 are the padding (``<pad>``), begin (``^``) and end (``$``) tokens; the
    other tokens follow in the order given.

    Parameters
    ----------
    tokens : sequence of str
        The vocabulary's SMILES tokens (special tokens are added, duplicates rejected).

    Raises
    ------
    ValueError
        A token is empty, duplicated or a special token.

    Examples
    --------
    >>> tok = SmilesTokenizer.build(["CCO", "c1ccccc1Br"])
    >>> tok.tokenize("c1ccccc1Br")
    ['c', '1', 'c', 'c', 'c', 'c', 'c', '1', 'Br']
    >>> tok.decode(tok.encode("CCO"))
    'CCO'
    """

    kind = "smiles_regex"

    def __init__(self, tokens: Sequence[str]):
        tokens = list(tokens)
        bad = [t for t in tokens if not isinstance(t, str) or not t or t in _SPECIAL]
        if bad:
            raise ValueError(f"invalid vocabulary tokens (empty, not text or reserved): {bad[:5]!r}")
        if len(set(tokens)) != len(tokens):
            dupes = sorted(t for t, n in Counter(tokens).items() if n > 1)
            raise ValueError(f"duplicate vocabulary tokens: {dupes[:5]!r}")
        self.vocab: list[str] = [*_SPECIAL, *tokens]
        self.index: dict[str, int] = {t: i for i, t in enumerate(self.vocab)}
        self.pad_id, self.bos_id, self.eos_id = 0, 1, 2

    @classmethod
    def build(cls, smiles: Iterable[str]) -> SmilesTokenizer:
        """Vocabulary of every token in ``smiles``, most frequent first (ties alphabetical).

        Raises
        ------
        UnknownTokenError
            A string holds characters that no SMILES token matches.
        """
        counts: Counter = Counter()
        for smi in smiles:
            counts.update(cls.split(smi))
        return cls(sorted(counts, key=lambda t: (-counts[t], t)))

    @staticmethod
    def split(smiles: str) -> list[str]:
        """The tokens of one SMILES (raises :class:`UnknownTokenError`)."""
        return tokenize(smiles)

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocab_size={len(self)})"

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and self.vocab == other.vocab

    def tokenize(self, smiles: str) -> list[str]:
        """The SMILES tokens of ``smiles`` (no special tokens).

        Raises
        ------
        UnknownTokenError
            Characters no SMILES token matches (e.g. ``"X"``, spaces).
        """
        return self.split(smiles)

    def encode(self, smiles: str) -> list[int]:
        """Token ids with BOS first and EOS last.

        Raises
        ------
        UnknownTokenError
            A token that is not in the vocabulary, or text that is no SMILES token.
        """
        ids = [self.bos_id]
        for token in self.split(smiles):
            try:
                ids.append(self.index[token])
            except KeyError:
                raise UnknownTokenError(smiles, token, "token not in the prior's vocabulary:") from None
        ids.append(self.eos_id)
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The SMILES of ``ids``: stops at the first EOS, skips BOS and padding.

        Raises
        ------
        ValueError
            An id outside the vocabulary.
        """
        out = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i in (self.bos_id, self.pad_id):
                continue
            if not 0 <= i < len(self.vocab):
                raise ValueError(f"token id {i} is outside the vocabulary of {len(self.vocab)} tokens")
            out.append(self.vocab[i])
        return self.join(out)

    @staticmethod
    def join(tokens: list[str]) -> str:
        """The SMILES of a token list."""
        return "".join(tokens)

    def to_dict(self) -> dict:
        """JSON-ready description: ``{"kind": "smiles_regex", "tokens": [...]}``."""
        return {"kind": self.kind, "tokens": self.vocab[len(_SPECIAL) :]}

    @classmethod
    def from_dict(cls, data: dict) -> SmilesTokenizer:
        """Inverse of :meth:`to_dict`.

        Raises
        ------
        ValueError
            Not a tokenizer description of this kind.
        """
        if not isinstance(data, dict) or data.get("kind") != cls.kind or not isinstance(data.get("tokens"), list):
            raise ValueError(f"not a {cls.__name__} description: expected {{'kind': {cls.kind!r}, 'tokens': [...]}}")
        return cls(data["tokens"])


class SelfiesTokenizer(SmilesTokenizer):
    """SELFIES symbols (Krenn et al. 2020) as tokens: SMILES are encoded to SELFIES, and
    sampled symbols decoded back to SMILES, so almost every sample is a valid molecule.

    Needs the ``selfies`` package. SMILES that SELFIES cannot encode raise
    :class:`UnknownTokenError` (training skips them).

    Examples
    --------
    >>> tok = SelfiesTokenizer.build(["CCO", "c1ccccc1Br"])
    >>> tok.tokenize("CCO")
    ['[C]', '[C]', '[O]']
    >>> tok.decode(tok.encode("CCO"))
    'CCO'
    """

    kind = "selfies"

    @staticmethod
    def split(smiles: str) -> list[str]:
        import selfies

        if not isinstance(smiles, str):
            raise TypeError(f"SMILES must be a string, got {type(smiles).__name__}")
        try:
            return list(selfies.split_selfies(selfies.encoder(smiles)))
        except selfies.EncoderError:
            raise UnknownTokenError(smiles, None, "SELFIES cannot encode") from None

    @staticmethod
    def join(tokens: list[str]) -> str:
        import selfies

        try:
            return selfies.decoder("".join(tokens))
        except selfies.DecoderError:
            return "".join(tokens)  # left as is: RDKit rejects it and the sample is labelled invalid


#: Tokenizers by the ``kind`` stored with a prior.
TOKENIZERS = {"smiles_regex": SmilesTokenizer, "selfies": SelfiesTokenizer}


def tokenizer_from_dict(data: dict) -> SmilesTokenizer:
    """The tokenizer a :meth:`SmilesTokenizer.to_dict` description names.

    Raises
    ------
    ValueError
        An unknown kind or a malformed description.
    """
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer kind {kind!r}; known: {', '.join(TOKENIZERS)}")
    return TOKENIZERS[kind].from_dict(data)


def tokenize(smiles: str) -> list[str]:
    """Regex tokens of one SMILES; raises :class:`UnknownTokenError` on unmatched text."""
    if not isinstance(smiles, str):
        raise TypeError(f"SMILES must be a string, got {type(smiles).__name__}")
    tokens = SMILES_REGEX.findall(smiles)
    if sum(map(len, tokens)) != len(smiles):
        pos = 0
        for m in SMILES_REGEX.finditer(smiles):
            if m.start() != pos:
                break
            pos = m.end()
        raise UnknownTokenError(smiles, smiles[pos : pos + 1], "no SMILES token matches")
    return tokens

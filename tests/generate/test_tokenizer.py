"""The regex SMILES tokenizer: round trips on MOSES, multi-character tokens, bad input."""

import pytest

from molgen.generate import SmilesTokenizer, UnknownTokenError


def test_round_trip_on_moses(moses_smiles):
    tok = SmilesTokenizer.build(moses_smiles)
    for smi in moses_smiles:
        assert "".join(tok.tokenize(smi)) == smi
        ids = tok.encode(smi)
        assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id
        assert tok.decode(ids) == smi
    assert {"Cl", "Br", "[nH]"} <= set(tok.vocab)


def test_multi_character_tokens():
    tok = SmilesTokenizer.build(["C"])
    assert tok.tokenize("BrCCl") == ["Br", "C", "Cl"]
    assert tok.tokenize("C%12CC%12") == ["C", "%12", "C", "C", "%12"]
    assert tok.tokenize("[C@@H](N)[13CH3]") == ["[C@@H]", "(", "N", ")", "[13CH3]"]
    assert tok.tokenize("c1ccccc1/C=C\\O") == ["c", "1", "c", "c", "c", "c", "c", "1", "/", "C", "=", "C", "\\", "O"]


def test_special_ids_and_decode_stops_at_eos():
    tok = SmilesTokenizer.build(["CCO"])
    assert (tok.pad_id, tok.bos_id, tok.eos_id) == (0, 1, 2)
    c, o = tok.index["C"], tok.index["O"]
    assert tok.decode([tok.bos_id, c, c, o, tok.eos_id, c, tok.pad_id]) == "CCO"
    assert tok.decode([tok.bos_id, c, tok.pad_id, tok.pad_id]) == "C"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([99])


def test_unknown_token_is_a_typed_error():
    tok = SmilesTokenizer.build(["CCO"])
    with pytest.raises(UnknownTokenError, match="'Br'") as info:
        tok.encode("CCBr")
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    assert info.value.token == "Br"
    with pytest.raises(UnknownTokenError, match="no SMILES token matches 'X'"):
        tok.tokenize("CCX")
    with pytest.raises(UnknownTokenError):
        tok.tokenize("C C")
    with pytest.raises(TypeError):
        tok.tokenize(None)


def test_dict_round_trip_and_validation():
    tok = SmilesTokenizer.build(["CCO", "c1ccccc1Cl"])
    again = SmilesTokenizer.from_dict(tok.to_dict())
    assert again == tok and again.encode("CCl") == tok.encode("CCl")
    with pytest.raises(ValueError, match="not a SMILES tokenizer"):
        SmilesTokenizer.from_dict({"tokens": ["C"]})
    with pytest.raises(ValueError, match="duplicate"):
        SmilesTokenizer(["C", "C"])
    with pytest.raises(ValueError, match="reserved"):
        SmilesTokenizer(["C", "$"])

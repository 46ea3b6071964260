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
    with pytest.raises(ValueError, match="not a SmilesTokenizer description"):
        SmilesTokenizer.from_dict({"tokens": ["C"]})
    with pytest.raises(ValueError, match="duplicate"):
        SmilesTokenizer(["C", "C"])
    with pytest.raises(ValueError, match="reserved"):
        SmilesTokenizer(["C", "$"])


def test_selfies_tokenizer_round_trip_and_errors():
    from rdkit import Chem

    from molgen.generate.tokenizer import SelfiesTokenizer, tokenizer_from_dict

    smiles = ["CC(=O)Nc1ccc(O)cc1", "C1CCN(CC1)C(=O)c1ccccc1Cl", "O=C(O)C[C@H](N)C(=O)O"]
    tok = SelfiesTokenizer.build(smiles)
    assert all(t.startswith("[") and t.endswith("]") for t in tok.vocab[3:])
    for smi in smiles:
        back = tok.decode(tok.encode(smi))
        assert Chem.CanonSmiles(back) == Chem.CanonSmiles(smi)
    # any symbol sequence decodes to a molecule: SELFIES's point
    rng = __import__("random").Random(0)
    for _ in range(50):
        ids = [rng.randrange(3, len(tok)) for _ in range(rng.randrange(1, 30))]
        assert Chem.MolFromSmiles(tok.decode(ids)) is not None
    with pytest.raises(UnknownTokenError, match="SELFIES cannot encode SMILES 'C1CC'"):
        tok.encode("C1CC")
    again = tokenizer_from_dict(tok.to_dict())
    assert type(again) is SelfiesTokenizer and again == tok and again != SmilesTokenizer(tok.vocab[3:])
    with pytest.raises(ValueError, match="unknown tokenizer kind 'bpe'"):
        tokenizer_from_dict({"kind": "bpe", "tokens": []})

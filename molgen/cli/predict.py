"""``molgen predict``: predict a molecule file with a saved model, row for row.

``molgen predict --model MODEL_DIR --data FILE --smiles-col COL --out FILE``
"""

import sys

from molgen.cli.options import TABLE_HELP, add_command, add_data, add_model, add_predict_batch_size, add_sep

HELP = "predict a molecule file with a trained model"
DESCRIPTION = """Predict every row of a molecule file with a model directory written by 'molgen train'. The output keeps all input
columns in order and adds smiles_std, prediction, uncertainty, lower/upper (conformal interval), ad_similarity, state and error; rows
whose molecule cannot be read get NaN and the reason. An output column whose name is taken by an input column is prefixed with
'molgen_'."""


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "predict", run, HELP, DESCRIPTION)
    add_model(parser)
    add_data(parser)
    parser.add_argument("--out", required=True, metavar="FILE", help=f"output table: {TABLE_HELP}")
    add_predict_batch_size(parser)
    add_sep(parser)


def run(args) -> int:
    from molgen.cli._io import apply_record_states, check_columns, check_output_file, join_columns, state_summary, write_table
    from molgen.data import read_table
    from molgen.efficacy import load_model

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    out = check_output_file(args.out)
    model = load_model(args.model)
    frame = read_table(args.data, sep=args.sep)
    check_columns(frame, args.smiles_col)
    predictions = apply_record_states(
        frame, model.predict(frame, smiles_col=args.smiles_col, batch_size=args.batch_size, keep_columns=False)
    )
    write_table(join_columns(frame, predictions.drop(columns="smiles")), out)
    print(f"predicted {state_summary(predictions['state'])} -> {out}", file=sys.stderr)
    return 0

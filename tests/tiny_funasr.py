"""Tiny randomly initialised FunASR models for plumbing tests.

`build_tiny_paraformer(dir)` writes a Paraformer with a 1-block encoder and decoder and a dozen
tokens in the layout of a ModelScope FunASR model directory (configuration.json, config.yaml,
model.pt, am.mvn, tokens.json), so `funasr.AutoModel(model=dir, disable_update=True)` loads it
from disk without any hub access. Its output is noise; it tests loading and plumbing only.
"""

from __future__ import annotations

import json
from pathlib import Path

N_MELS = 20
LFR_M, LFR_N = 7, 6
DIM = 32
TOKENS = ["<blank>", "<s>", "</s>", "您", "好", "信", "用", "卡", "年", "费", "分", "期", "<unk>"]
SEED = 1234  # not 0: FunASR seeds 0 before building, so a test can tell loaded from fresh weights

CONFIG = {
    "model": "Paraformer",
    "model_conf": {"ctc_weight": 0.0, "lsm_weight": 0.1, "length_normalized_loss": True,
                   "predictor_weight": 1.0, "predictor_bias": 1, "sampling_ratio": 0.75},
    "encoder": "SANMEncoder",
    "encoder_conf": {"output_size": DIM, "attention_heads": 2, "linear_units": 64, "num_blocks": 1,
                     "dropout_rate": 0.0, "positional_dropout_rate": 0.0,
                     "attention_dropout_rate": 0.0, "input_layer": "pe",
                     "pos_enc_class": "SinusoidalPositionEncoder", "normalize_before": True,
                     "kernel_size": 11, "sanm_shfit": 0, "selfattention_layer_type": "sanm"},
    "decoder": "ParaformerSANMDecoder",
    "decoder_conf": {"attention_heads": 2, "linear_units": 64, "num_blocks": 1, "att_layer_num": 1,
                     "dropout_rate": 0.0, "positional_dropout_rate": 0.0,
                     "self_attention_dropout_rate": 0.0, "src_attention_dropout_rate": 0.0,
                     "kernel_size": 11, "sanm_shfit": 0},
    "predictor": "CifPredictorV2",
    "predictor_conf": {"idim": DIM, "threshold": 1.0, "l_order": 1, "r_order": 1,
                       "tail_threshold": 0.45},
    "frontend": "WavFrontend",
    "frontend_conf": {"fs": 16000, "window": "hamming", "n_mels": N_MELS, "frame_length": 25,
                      "frame_shift": 10, "lfr_m": LFR_M, "lfr_n": LFR_N, "cmvn_file": "am.mvn"},
    "tokenizer": "CharTokenizer",
    "tokenizer_conf": {"unk_symbol": "<unk>", "token_list": "tokens.json"},
}

# what a ModelScope FunASR model ships: file_path_metas makes the paths absolute at load time
CONFIGURATION = {
    "framework": "pytorch",
    "task": "auto-speech-recognition",
    "model": {"type": "funasr"},
    "pipeline": {"type": "funasr-pipeline"},
    "model_name_in_hub": {"ms": "", "hf": ""},
    "file_path_metas": {"init_param": "model.pt", "config": "config.yaml",
                        "tokenizer_conf": {"token_list": "tokens.json"},
                        "frontend_conf": {"cmvn_file": "am.mvn"}},
}


def _mvn(dim: int) -> str:
    """Kaldi nnet text CMVN (shift then scale) in the layout FunASR's load_cmvn parses."""
    shift = " ".join(["-8.0"] * dim)
    scale = " ".join(["0.25"] * dim)
    return (f"<Nnet>\n<Splice> {dim} {dim}\n[ 0 ]\n"
            f"<AddShift> {dim} {dim}\n<LearnRateCoef> 0 [ {shift} ]\n"
            f"<Rescale> {dim} {dim}\n<LearnRateCoef> 0 [ {scale} ]\n</Nnet>\n")


def build_tiny_paraformer(out_dir: Path, sample_rate: int = 16000) -> Path:
    """Write the tiny Paraformer into `out_dir` (created) and return it. Deterministic.

    sample_rate=8000 makes a telephone-band model (its frontend expects 8 kHz audio).
    """
    import funasr.models.paraformer.model  # noqa: F401  registers Paraformer and its parts
    import torch
    import yaml
    from funasr.register import tables

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    input_size = N_MELS * LFR_M
    config = dict(CONFIG, frontend_conf=dict(CONFIG["frontend_conf"], fs=sample_rate))
    (out_dir / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                                         encoding="utf-8")
    (out_dir / "configuration.json").write_text(json.dumps(CONFIGURATION, indent=2))
    (out_dir / "tokens.json").write_text(json.dumps(TOKENS, ensure_ascii=False), encoding="utf-8")
    (out_dir / "am.mvn").write_text(_mvn(input_size))

    torch.manual_seed(SEED)
    model_class = tables.model_classes.get(CONFIG["model"])
    conf = dict(CONFIG["model_conf"])
    for part in ("encoder", "decoder", "predictor"):
        conf[part] = CONFIG[part]
        conf[f"{part}_conf"] = dict(CONFIG[f"{part}_conf"])
    model = model_class(input_size=input_size, vocab_size=len(TOKENS), **conf)
    torch.save(model.state_dict(), out_dir / "model.pt")
    return out_dir


if __name__ == "__main__":  # python tests/tiny_funasr.py DIR
    import sys

    print(build_tiny_paraformer(Path(sys.argv[1])))

VAD_CONFIG = {
    "model": "FsmnVADStreaming",
    "model_conf": {"sample_rate": 16000, "detect_mode": 1, "snr_mode": 0,
                   "max_end_silence_time": 800, "max_start_silence_time": 3000,
                   "do_start_point_detection": True, "do_end_point_detection": True,
                   "window_size_ms": 200, "sil_to_speech_time_thres": 150,
                   "speech_to_sil_time_thres": 150, "speech_2_noise_ratio": 1.0, "do_extend": 1,
                   "lookback_time_start_point": 200, "lookahead_time_end_point": 100,
                   "max_single_segment_time": 2000, "snr_thres": -100.0,
                   "noise_frame_num_used_for_snr": 100, "decibel_thres": -20.0,
                   "speech_noise_thres": 0.6, "fe_prior_thres": 0.0001, "silence_pdf_num": 1,
                   "sil_pdf_ids": [0], "speech_noise_thresh_low": -0.1,
                   "speech_noise_thresh_high": 0.3, "output_frame_probs": False,
                   "frame_in_ms": 10, "frame_length_ms": 25},
    "encoder": "FSMN",
    "encoder_conf": {"input_dim": N_MELS * 5, "input_affine_dim": 16, "fsmn_layers": 1,
                     "linear_dim": 16, "proj_dim": 8, "lorder": 4, "rorder": 0, "lstride": 1,
                     "rstride": 0, "output_affine_dim": 16, "output_dim": 4},
    "frontend": "WavFrontendOnline",
    "frontend_conf": {"fs": 16000, "window": "hamming", "n_mels": N_MELS, "frame_length": 25,
                      "frame_shift": 10, "dither": 0.0, "lfr_m": 5, "lfr_n": 1,
                      "cmvn_file": "am.mvn"},
}


def build_tiny_vad(out_dir: Path) -> Path:
    """Write a tiny randomly initialised fsmn-vad into `out_dir` and return it. Deterministic."""
    import funasr.models.fsmn_vad_streaming.model  # noqa: F401  registers FsmnVADStreaming, FSMN
    import torch
    import yaml
    from funasr.register import tables

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.yaml").write_text(yaml.safe_dump(VAD_CONFIG, sort_keys=False))
    conf = dict(CONFIGURATION, task="voice-activity-detection",
                file_path_metas={"init_param": "model.pt", "config": "config.yaml",
                                 "frontend_conf": {"cmvn_file": "am.mvn"}})
    (out_dir / "configuration.json").write_text(json.dumps(conf, indent=2))
    (out_dir / "am.mvn").write_text(_mvn(VAD_CONFIG["encoder_conf"]["input_dim"]))
    torch.manual_seed(SEED)
    model_class = tables.model_classes.get(VAD_CONFIG["model"])
    model = model_class(encoder=VAD_CONFIG["encoder"], encoder_conf=VAD_CONFIG["encoder_conf"],
                        **VAD_CONFIG["model_conf"])
    # silence posterior ~0 everywhere, so the decibel threshold alone decides: an energy VAD
    with torch.no_grad():
        model.encoder.out_linear2.linear.weight[0].zero_()
        model.encoder.out_linear2.linear.bias[0] = -20.0
    torch.save(model.state_dict(), out_dir / "model.pt")
    return out_dir

"""TRL's documented SFT recipe on a JFLEG-format folder: the usual-stack side of `python bench/gec.py --trl`.

    python bench/trl_sft.py --data DIR --model HF_DIR --out DIR [--seed 0]

The model is a plain transformers Llama (`LlamaForCausalLM`, from a folder smolbook's `save_pretrained` wrote).
Prompt and completion are the texts smolbook's `GECFormat` builds (the chat template), completion-only loss,
lr 5e-5, batch 16, cosine, one epoch, TRL's other defaults. Prints one JSON line: the training wall time in
seconds (trainer set-up with its tokenisation, and training; not imports or loading), pairs, steps, last loss.
"""
import argparse, json, logging, time
import datasets, torch
from transformers import AutoTokenizer, LlamaForCausalLM
from trl import SFTConfig, SFTTrainer
from smolbook.gec import GECFormat, read_jfleg

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', required=True, help='JFLEG-format folder (dev.src, dev.ref0-3)')
    p.add_argument('--model', required=True, help='transformers Llama folder')
    p.add_argument('--out', required=True)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    logging.getLogger('transformers').setLevel(logging.ERROR); datasets.disable_progress_bars()
    tok = AutoTokenizer.from_pretrained(a.model)
    fmt = GECFormat(tok)
    if not fmt.chat: raise ValueError(f"{a.model}: the tokenizer has no chat template")
    rows = [dict(prompt=fmt.prompt_text(e.src, e.instruction), completion=fmt.completion_text(r)) for e in read_jfleg(a.data) for r in e.refs]
    model = LlamaForCausalLM.from_pretrained(a.model)
    t0 = time.perf_counter()
    args = SFTConfig(output_dir=a.out, learning_rate=5e-5, per_device_train_batch_size=16, lr_scheduler_type='cosine',
                     num_train_epochs=1, seed=a.seed, report_to=[], save_strategy='no', logging_steps=10,
                     use_cpu=not torch.cuda.is_available(), disable_tqdm=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=datasets.Dataset.from_list(rows), processing_class=tok)
    trainer.train()
    if torch.cuda.is_available(): torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    trainer.save_model(a.out)
    loss = [r['loss'] for r in trainer.state.log_history if 'loss' in r]
    print(json.dumps(dict(seconds=seconds, pairs=len(rows), steps=trainer.state.global_step, loss=loss[-1] if loss else None)))

if __name__ == '__main__': main()

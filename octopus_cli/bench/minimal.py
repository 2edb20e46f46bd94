"""The cold-start baseline: the least a llama-cpp-python script does to answer one query.

    python minimal.py MODEL.gguf QUERY [THREADS]

Run as a file, not as part of octopus_cli, so it imports nothing but llama_cpp.
"""

import sys

from llama_cpp import Llama

PROMPT = (
    "Below is the query from the users, please call the correct function and generate "
    "the parameters to call the function.\n\nQuery: {} \n\nResponse:"
)

threads = int(sys.argv[3]) if len(sys.argv) > 3 else None
llm = Llama(sys.argv[1], n_ctx=512, n_threads=threads, n_threads_batch=threads, verbose=False)
end = llm.tokenize(b"<nexa_end>", add_bos=False, special=True)[0]
out = []
prompt = llm.tokenize(PROMPT.format(sys.argv[2]).encode(), special=True)
for token in llm.generate(prompt, top_k=1, temp=0.0):
    if token == end or token == llm.token_eos() or len(out) >= 64:
        break
    out.append(token)
print(llm.detokenize(out, special=True).decode())

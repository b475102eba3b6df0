# Tokenizer parity with the Hugging Face tokenizers library (npm peers in tools/reference): every
# corpus line of the Qwen and both XLM-R tokenizer.json files, with and without special tokens, and
# decoding; plus variants and per-code-point stage checks. Skips (77) where the peers are missing.
add_test(NAME text_tokenizer_parity
  COMMAND bash ${PROJECT_SOURCE_DIR}/tools/reference/run_tokenizer_parity.sh $<TARGET_FILE:gavel>
          ${PROJECT_BINARY_DIR}/tokenizer_parity)
set_tests_properties(text_tokenizer_parity PROPERTIES LABELS "slow;parity" SKIP_RETURN_CODE 77 TIMEOUT 1200)

# The committed Unicode deltas must still describe the reference library's character classes.
add_test(NAME text_unicode_reference_deltas
  COMMAND bash ${PROJECT_SOURCE_DIR}/tools/reference/check_unicode_deltas.sh ${PROJECT_BINARY_DIR}/tokenizer_parity)
set_tests_properties(text_unicode_reference_deltas PROPERTIES LABELS "slow;parity" SKIP_RETURN_CODE 77 TIMEOUT 600)

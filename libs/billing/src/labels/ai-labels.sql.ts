/**
 * SQL that recognises AI spend on a billing line and labels it (ai_service, ai_model, usage_type). It runs inside
 * the ingest INSERT … SELECT, so labelling costs no extra pass over the file. Inputs are SQL expressions over the
 * line: the service name, the provider's usage type / meter / SKU description, and hints that reveal a GPU machine
 * (instance type, SKU, resource id).
 */
export interface AiLabelInputs {
  service: string;
  usage: string;
  description: string;
  gpuHints: string;
}

// Instance families with GPUs or ML accelerators: AWS p/g/trn/inf, Azure N-series, GCP a2/a3/g2 and node pools.
const GPU_PATTERN = String.raw`(?i)(\b(p2|p3|p3dn|p4d|p4de|p5|p5e|p5en|g4dn|g4ad|g5|g5g|g6|g6e|gr6|trn1|trn2|inf1|inf2|dl1)\.[0-9a-z]+)|(standard_n[cdv][0-9])|(\bn[cdv][0-9]+[a-z_ ]*(v[0-9])?\b)|(\ba[23]-(high|mega|ultra|edge)gpu)|(\bg2-standard)|\b(gpus?|nvidia|h100|h200|a100|a10g|l4|l40s|v100)\b`;
// Cheap substring pre-filter so the GPU regex only runs on lines that might match it (most lines are not GPUs).
const GPU_HINT_WORDS = `['gpu', 'nvidia', 'h100', 'a100', 'l4', 'p2.', 'p3.', 'p3dn.', 'p4d', 'p5', 'g4dn.', 'g4ad.', 'g5.', 'g5g.', 'g6.', 'g6e.', 'gr6.', 'trn1', 'trn2', 'inf1', 'inf2', 'dl1.', 'standard_n', 'a2-', 'a3-', 'g2-standard', 'nc', 'nd', 'nv']`;
// A model family, then version and size words; usage words are stripped first (RE2 has no lookahead to stop at them).
const MODEL_PATTERN = String.raw`(?i)\b((claude|gpt|gemini|llama|titan|mistral|mixtral|nova|command|jamba|embed|text-embedding|dall-e|whisper|o1|o3|o4)([-. ]?(v?[0-9][0-9a-z.]*|pro|flash|sonnet|haiku|opus|mini|lite|micro|premier|turbo|instruct|large|small|medium|nano|large|express|ada))*)`;
const USAGE_WORDS = String.raw`(?i)[-_ :]?\b(input|output|inp|outp|cache[-_ ]?(read|write)|tokens?|regional|global|data ?zone|batch|text|characters?|units?|count)\b`;

export function aiLabelColumns(inputs: AiLabelInputs): { ai_service: string; ai_model: string; usage_type: string } {
  const svc = `ifNull(${inputs.service}, '')`;
  const text = `concat(ifNull(${inputs.usage}, ''), ' ', ifNull(${inputs.description}, ''))`;
  const hints = `concat(ifNull(${inputs.gpuHints}, ''), ' ', ${text})`;
  const service = `multiIf(
    ${svc} ILIKE '%bedrock%', 'bedrock',
    ${svc} ILIKE '%sagemaker%', 'sagemaker',
    ${svc} ILIKE '%vertex%' OR ${svc} ILIKE '%gemini%' OR ${svc} ILIKE '%generative language%', 'vertex_ai',
    ${svc} ILIKE '%openai%' OR ${svc} ILIKE '%foundry%' OR (${svc} ILIKE '%cognitive services%' AND match(${text}, '(?i)gpt|o1|o3|dall-e|whisper|embedding')), 'azure_openai',
    multiSearchAnyCaseInsensitive(${hints}, ${GPU_HINT_WORDS}) AND match(${hints}, '${sqlRegex(GPU_PATTERN)}'), 'gpu_instance',
    '')`;
  const stripped = `replaceRegexpAll(${text}, '${sqlRegex(USAGE_WORDS)}', ' ')`;
  const model = `if(${service} IN ('', 'gpu_instance'), '', replaceRegexpAll(lower(trimBoth(extract(${stripped}, '${sqlRegex(MODEL_PATTERN)}'))), '\\\\s+', '-'))`;
  const usage = `multiIf(
    ${service} = '', '',
    match(${text}, '(?i)cache[ _-]?(read|hit)|cached'), 'cached_input_tokens',
    match(${text}, '(?i)cache[ _-]?write'), 'cache_write_tokens',
    match(${text}, '(?i)input|\\\\binp\\\\b|prompt'), 'input_tokens',
    match(${text}, '(?i)output|\\\\boutp?\\\\b|completion|generated'), 'output_tokens',
    match(${text}, '(?i)image'), 'images',
    ${service} IN ('gpu_instance', 'sagemaker') OR match(${text}, '(?i)hour|hrs'), 'instance_hours',
    'other')`;
  return { ai_service: service, ai_model: model, usage_type: usage };
}

/** A regular expression as a ClickHouse string literal body (backslashes and quotes escaped). */
function sqlRegex(pattern: string): string {
  return pattern.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

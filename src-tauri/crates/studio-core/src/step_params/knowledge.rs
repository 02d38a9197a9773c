//! Knowledge step types: embeddings, similarity, and a retrieval store (DESIGN §5.3).
//!
//! The four types share how a text becomes a vector (the *embedder*): the built-in `local` one
//! unless the step names a model provider. Their embedder parameters are written out in each
//! table, with the same documentation.

use super::*;

/// The embedder names every build knows besides the model providers.
pub const LOCAL_EMBEDDER: &str = "local";

const PROVIDER_DOC: &str = "who turns text into vectors: `local` (the default: the built-in embedder, deterministic and offline; it is lexical — hashed words and character n-grams — and says so with `lexical: true`), `simulated` (the local embedder, priced and counted as a model call), `openai` (any OpenAI-compatible `/v1/embeddings`), `ollama` (`/api/embed`), `default` (the provider chosen in Settings), or a provider named in Settings. Anthropic has no embeddings API. With `--simulate-llm` every provider is answered by the local embedder, and the output says `simulated: true`";
const MODEL_DOC: &str = "the embedding model (default `text-embedding-3-small` for OpenAI-compatible providers, `nomic-embed-text` for Ollama; the local embedder is `local-lexical-v1` whatever is named, and the output keeps the name asked for as `requested_model`)";
const BASE_URL_DOC: &str = "the provider's base URL (as for `llm`: openai default https://api.openai.com/v1, ollama OLLAMA_HOST or http://localhost:11434)";
const DIMENSIONS_DOC: &str = "the vector length: for the local embedder 32 to 4096 (default 384); for a provider, sent as the model's `dimensions` (only some models accept it)";
const KEY_ENV_DOC: &str = "the environment variable holding the API key (default OPENAI_API_KEY for OpenAI-compatible providers); as for `llm`";
const KEY_KEYRING_DOC: &str =
    "the OS keyring entry (its user name) holding the API key; as for `llm`";
const KEY_SERVICE_DOC: &str = "the keyring entry's service (default mission-studio)";
const COLLECTION_DOC: &str = "the collection (default `default`): a named set of documents embedded by one embedder; created by the first `rag_add` into it";

const EMBEDDER_OUTPUT: &[OutputField] = &[
    out("model", "the model that made the vectors (`local-lexical-v1` for the local embedder)"),
    out("provider", "who answered: `local`, `simulated`, or the provider's name"),
    out("lexical", "true when the vectors are the local embedder's: they match shared words and word parts, not meaning"),
    out("dimensions", "the length of each vector"),
    out("simulated", "true when a model call was answered by the local embedder in its place (`simulated` provider or `--simulate-llm`)"),
    out("usage", "{prompt_tokens, cost_usd, estimated} of the model call, or null for the free local embedder"),
];

pub(super) const STEPS: &[StepParams] = &[
StepParams {
    step_type: "generate_embedding",
    summary: "Turns text into vectors: one `text`, several `texts` in one call, or a workspace file (`text_source: file` with `file_path`, RustChain's spelling). Vectors are L2-normalised lists of numbers. The built-in `local` embedder is deterministic and offline, and lexical (hashed words and character n-grams): it finds shared wording, not meaning; a provider's model (OpenAI-compatible `/v1/embeddings`, Ollama `/api/embed`) gives semantic vectors, with the usage the server reports charged to the budget. Side effects: none.",
    params: &[
        opt("text", ParamType::String, "the text to embed"),
        opt("texts", ParamType::StringList, "several texts, embedded together; `embeddings` keeps their order"),
        opt("text_source", ParamType::Choice(&["text", "file"]), "`file`: embed the content of `file_path`; `text` (default): embed `text` or `texts`"),
        opt("file_path", ParamType::String, "a workspace file whose text is embedded (with `text_source: file`, or alone)"),
        opt("provider", ParamType::String, PROVIDER_DOC),
        opt("model", ParamType::String, MODEL_DOC),
        opt("dimensions", ParamType::PositiveInteger, DIMENSIONS_DOC),
        opt("base_url", ParamType::String, BASE_URL_DOC),
        opt("api_key_env", ParamType::String, KEY_ENV_DOC),
        opt("api_key_keyring", ParamType::String, KEY_KEYRING_DOC),
        opt("api_key_keyring_service", ParamType::String, KEY_SERVICE_DOC),
    ],
    any_parameters: false,
    rules: &[
        ParamRule::ExactlyOne(&["text", "texts", "file_path"]),
        ParamRule::Requires("api_key_keyring_service", "api_key_keyring"),
    ],
    aliases: &[
        ("content", "text"),
        ("inputs", "texts"),
        ("path", "file_path"),
        ("file", "file_path"),
        ("source", "text_source"),
    ],
    output: &[
        out("embedding", "the vector of the text (of the first text with `texts`)"),
        out("embeddings", "every vector, in the order of the texts (one for `text` and `file_path`)"),
        out("count", "how many texts were embedded"),
        EMBEDDER_OUTPUT[0], EMBEDDER_OUTPUT[1], EMBEDDER_OUTPUT[2], EMBEDDER_OUTPUT[3], EMBEDDER_OUTPUT[4], EMBEDDER_OUTPUT[5],
    ],
    output_is_parameters: false,
},
StepParams {
    step_type: "similarity_search",
    summary: "Ranks candidates by cosine similarity to a query: candidate `texts` (embedded with the chosen embedder, like the query) or `vectors` (lists of numbers, e.g. a `generate_embedding` output), against a `query` text or a `query_vector`. Gives the `top_k` best with their scores and indexes in the candidate list. Side effects: none.",
    params: &[
        opt("query", ParamType::String, "the text to compare the candidates with"),
        opt("query_vector", ParamType::Any, "the vector to compare the candidates with (a list of numbers)"),
        opt("texts", ParamType::StringList, "the candidate texts"),
        opt("vectors", ParamType::Any, "the candidate vectors (a list of lists of numbers, all of the query's length)"),
        opt("top_k", ParamType::PositiveInteger, "how many results (default 5)"),
        opt("min_score", ParamType::Number, "leave out candidates whose cosine is below this (-1 to 1; default: none left out)"),
        opt("provider", ParamType::String, PROVIDER_DOC),
        opt("model", ParamType::String, MODEL_DOC),
        opt("dimensions", ParamType::PositiveInteger, DIMENSIONS_DOC),
        opt("base_url", ParamType::String, BASE_URL_DOC),
        opt("api_key_env", ParamType::String, KEY_ENV_DOC),
        opt("api_key_keyring", ParamType::String, KEY_KEYRING_DOC),
        opt("api_key_keyring_service", ParamType::String, KEY_SERVICE_DOC),
    ],
    any_parameters: false,
    rules: &[
        ParamRule::ExactlyOne(&["query", "query_vector"]),
        ParamRule::ExactlyOne(&["texts", "vectors"]),
        ParamRule::Requires("api_key_keyring_service", "api_key_keyring"),
    ],
    aliases: &[
        ("query_text", "query"),
        ("vector", "query_vector"),
        ("query_embedding", "query_vector"),
        ("candidates", "texts"),
        ("documents", "texts"),
        ("embeddings", "vectors"),
        ("k", "top_k"),
        ("limit", "top_k"),
        ("threshold", "min_score"),
    ],
    output: &[
        out("results", "[{index, score, text}]: the best candidates, best first: the index in the candidate list, the cosine similarity, and the text (null for vectors)"),
        out("count", "how many results"),
        out("candidates", "how many candidates were compared"),
        EMBEDDER_OUTPUT[0], EMBEDDER_OUTPUT[1], EMBEDDER_OUTPUT[2], EMBEDDER_OUTPUT[3], EMBEDDER_OUTPUT[4], EMBEDDER_OUTPUT[5],
    ],
    output_is_parameters: false,
},
StepParams {
    step_type: "rag_add",
    summary: "Adds a document to the knowledge store (`knowledge.db` in the data folder, shared by every run): its text, inline or from a workspace file, is cut into overlapping chunks on paragraph and sentence boundaries where it can, each chunk embedded and indexed for keyword search (SQLite FTS5, BM25). Adding a document `id` again replaces its chunks and metadata. A collection holds the vectors of one embedder: adding with another is refused. Side effects: external (the store outlives the run; a read-only sandbox refuses it).",
    params: &[
        opt("id", ParamType::String, "the document's id in its collection (default: `content_file` as written, else `doc-` and the start of the content's SHA-256); adding the same id again replaces the document"),
        opt("content", ParamType::String, "the document's text"),
        opt("content_file", ParamType::String, "a workspace file holding the document's text"),
        opt("collection", ParamType::String, COLLECTION_DOC),
        opt("metadata", ParamType::StringMap, "a mapping kept with the document (values keep their JSON types) and given back with each result; `rag_query`'s `filter` matches on it"),
        opt("source", ParamType::String, "where the document comes from (a URL, a citation); default `content_file`. Results name it, and `rag_query` lists it in the evidence's links"),
        opt("chunk_size", ParamType::PositiveInteger, "the longest chunk, in characters (default 1000; at least 50)"),
        opt("chunk_overlap", ParamType::Integer, "characters a chunk repeats from the end of the one before, whole sentences where they fit (default 150; less than `chunk_size`)"),
        opt("provider", ParamType::String, PROVIDER_DOC),
        opt("model", ParamType::String, MODEL_DOC),
        opt("dimensions", ParamType::PositiveInteger, DIMENSIONS_DOC),
        opt("base_url", ParamType::String, BASE_URL_DOC),
        opt("api_key_env", ParamType::String, KEY_ENV_DOC),
        opt("api_key_keyring", ParamType::String, KEY_KEYRING_DOC),
        opt("api_key_keyring_service", ParamType::String, KEY_SERVICE_DOC),
    ],
    any_parameters: false,
    rules: &[
        ParamRule::ExactlyOne(&["content", "content_file"]),
        ParamRule::Requires("api_key_keyring_service", "api_key_keyring"),
    ],
    aliases: &[
        ("document_id", "id"),
        ("doc_id", "id"),
        ("text", "content"),
        ("file_path", "content_file"),
        ("path", "content_file"),
        ("file", "content_file"),
        ("url", "source"),
        ("overlap", "chunk_overlap"),
    ],
    output: &[
        out("id", "the document's id"),
        out("collection", "its collection"),
        out("chunks", "how many chunks it was cut into"),
        out("characters", "the length of its text, in characters"),
        out("replaced", "whether a document of the same id was replaced"),
        out("store", "the knowledge store's file"),
        EMBEDDER_OUTPUT[0], EMBEDDER_OUTPUT[1], EMBEDDER_OUTPUT[2], EMBEDDER_OUTPUT[3], EMBEDDER_OUTPUT[4], EMBEDDER_OUTPUT[5],
    ],
    output_is_parameters: false,
},
StepParams {
    step_type: "rag_query",
    summary: "Finds the chunks of the knowledge store that best answer a query, by hybrid ranking: keyword relevance (FTS5 BM25, scaled so the best keyword match counts 1) and vector cosine (the query embedded like the collection) mixed by `keyword_weight`. Optional `collection` and metadata `filter`; `min_score` drops weak results. Each result names its document and source; the sources go to the evidence's links. The query's words are searched as plain words: quotes, `*`, `AND`, `NEAR` or parentheses in it have no search meaning. Side effects: none.",
    params: &[
        req("query", ParamType::String, "the question or words to look for"),
        opt("top_k", ParamType::PositiveInteger, "how many results (default 5)"),
        opt("collection", ParamType::String, "search this collection only (default: every collection; they must share the query's embedder)"),
        opt("filter", ParamType::StringMap, "metadata every result's document must have: each key equal to the value given, or to one of the values of a list (a list in the metadata matches when it holds the value)"),
        opt("min_score", ParamType::Number, "leave out results whose score is below this (0 to 1)"),
        opt("keyword_weight", ParamType::Number, "the share of the keyword score in the mix, 0 to 1 (default 0.5; 0 = vectors only, 1 = keywords only)"),
        opt("provider", ParamType::String, PROVIDER_DOC),
        opt("model", ParamType::String, MODEL_DOC),
        opt("dimensions", ParamType::PositiveInteger, DIMENSIONS_DOC),
        opt("base_url", ParamType::String, BASE_URL_DOC),
        opt("api_key_env", ParamType::String, KEY_ENV_DOC),
        opt("api_key_keyring", ParamType::String, KEY_KEYRING_DOC),
        opt("api_key_keyring_service", ParamType::String, KEY_SERVICE_DOC),
    ],
    any_parameters: false,
    rules: &[ParamRule::Requires("api_key_keyring_service", "api_key_keyring")],
    aliases: &[
        ("question", "query"),
        ("text", "query"),
        ("k", "top_k"),
        ("limit", "top_k"),
        ("metadata_filter", "filter"),
        ("where", "filter"),
        ("threshold", "min_score"),
    ],
    output: &[
        out("results", "[{id, chunk, score, bm25, cosine, content, metadata, source, collection}], best first: the document id, the chunk's number in it (from 0), the mixed score (0 to 1), the raw BM25 relevance (higher is better; 0 when the chunk holds none of the words), the cosine, the chunk's text, the document's metadata and source"),
        out("count", "how many results"),
        out("query", "the query"),
        out("store", "the knowledge store's file"),
        EMBEDDER_OUTPUT[0], EMBEDDER_OUTPUT[1], EMBEDDER_OUTPUT[2], EMBEDDER_OUTPUT[3], EMBEDDER_OUTPUT[4], EMBEDDER_OUTPUT[5],
    ],
    output_is_parameters: false,
},
];

/// Whether a step type is one of this family (they share the embedder parameters).
pub fn is_knowledge_type(step_type: &str) -> bool {
    STEPS.iter().any(|s| s.step_type == step_type)
}

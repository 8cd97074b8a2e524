//! The text rules of the poisoning and output-injection analyzers.
//!
//! Rules describe families of phrasings (a verb class times an object class, a structural
//! marker), never one sentence: "ignore|disregard|forget ... previous|prior|above ...
//! instructions|rules|context" rather than any one attack string. Patterns run on normalized
//! text (lowercase, NFKC, confusables folded, hidden characters removed), so they are written
//! in lowercase. `@NAME@` inserts a shared fragment (see [`fragment`]). Anchors are literals
//! every match contains; they gate the regexes (see `rules.rs`).
//!
//! Weights are `(poisoning, output)`; 10 decides alone, smaller cues add up.

use crate::rules::{Rule, Scope};

/// Shared regex fragments, inserted where a pattern says `@NAME@`.
pub(crate) fn fragment(name: &str) -> Option<&'static str> {
    Some(match name {
        // Things worth stealing.
        "SECRETS" => {
            r"(?:api[\s_-]?keys?|access[\s_-]keys?|secret[\s_-]keys?|passwords?|passwd|passphrases?|credentials?|secrets|(?:auth|access|session|bearer|refresh|api|oauth)[\s_-]tokens?|private[\s_-]keys?|ssh[\s_-]keys?|cookies|system\s+prompt|(?:conversation|chat)\s+(?:history|logs?|transcripts?)|(?:all\s+)?(?:the\s+)?(?:previous\s+|prior\s+|recent\s+|last\s+)?(?:messages|emails|e-mails|contacts)|(?:user|customer|client|patient)(?:'s|s')?\s+(?:data|information|info|details|files|messages|records|credentials|emails)|personal\s+(?:data|information|details)|(?:bank|account)\s+(?:account\s+)?(?:numbers?|details|information|credentials)|credit\s+card(?:\s+(?:numbers?|details))?|card\s+numbers?|passport\s+(?:numbers?|details)|social\s+security\s+numbers?|environment\s+variables|env\s+vars|\.env\s+file)"
        }
        // Files that hold credentials or agent configuration.
        "SENSITIVE" => {
            r"(?:(?:~|\$home|/home/[\w.-]+|/root|/users/[\w.-]+)?/?\.ssh(?:/[\w.-]*)?|\bid_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?\b|/etc/(?:passwd|shadow|sudoers)\b|\.aws/(?:credentials|config)|\.azure/|\.config/gcloud|\.env(?:\.[a-z]+)?\b|\bmcp\.json\b|\bclaude_desktop_config\.json\b|\.cursor/|\.(?:npmrc|pypirc|netrc|git-credentials|pgpass)\b|\.kube/config|\.docker/config\.json|\bcredentials\.json\b|\.(?:bash|zsh)_history\b|\b(?:authorized_keys|known_hosts)\b|\.gnupg\b|\bwallet\.dat\b|\bkeychain\b|\bsecrets?\.(?:json|ya?ml|toml|txt|env|md)\b|\b[\w-]*secret[\w-]*\.(?:txt|md|json|pem|key)\b|\.pem\b)"
        }
        // Where stolen data goes.
        "DEST" => {
            r"(?:[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+|https?://|www\.|[a-z0-9-]+\.(?:com|net|org|io|xyz|ru|cn|tk|top|site|online|example|info|biz|co)\b|(?:my|our|this|the\s+following|an?\s+external|external|remote|attacker(?:'s)?|third[- ]party|outside)\s+(?:new\s+|personal\s+|private\s+|backup\s+)?(?:server|endpoint|address|e-?mail(?:\s+address)?|webhook|url|site|website|domain|account|inbox|number|channel|bucket|host|contact|recipient))"
        }
        // Verbs that move data out.
        "SEND" => {
            r"(?:send|sends|sending|forward\w*|post|posts|upload\w*|transmit\w*|e-?mail|mail|submit\w*|deliver\w*|mirror\w*|bcc|cc|exfiltrat\w*|leak\w*|share|sharing|relay\w*|redirect\w*|route|beacon\w*|export\w*|sync\w*|copy|copies)"
        }
        // Verbs that read or collect something.
        "READ" => {
            r"(?:read|reads|reading|cat|open|access|load|fetch|retrieve|include|pass|send|upload|copy|extract|dump|print|output|exfiltrate|collect|harvest|grab|attach|append|steal|list|get|obtain|scan|search\s+for|look\s+(?:up|for)|paste|concatenate)"
        }
        // Imperatives a planted task starts with.
        "IMPERATIVE" => {
            r"(?:send|transfer|forward|create|delete|remove|invite|add|post|email|book|make|change|update|visit|pay|reserve|say|tell|write|download|install|run|execute|share|grant|give|set|modify|concatenate|get|find|read|go\s+to|click|open|schedule|cancel|publish|upload|rate|approve|merge|buy|order)"
        }
        // Words a model is addressed by.
        "MODEL" => {
            r"(?:ai|a\.i\.|assistant|ai\s+assistant|ai\s+agent|agent|language\s+model|llm|chatbot|gpt[\w.-]*|claude|gemini|copilot|model|bot)"
        }
        _ => return None,
    })
}

const P: Scope = Scope::Poisoning;
const O: Scope = Scope::Output;
const B: Scope = Scope::Both;

/// The rule set (see the module documentation).
pub(crate) static RULES: &[Rule] = &[
    // ---- overriding the model's instructions --------------------------------------------
    Rule {
        id: "ignore-previous",
        scope: B,
        weight: (10, 10),
        anchors: &["ignor", "disregard", "forget", "overrid", "overrul", "bypass", "skip", "neglect", "set aside", "discard", "abandon", "drop"],
        pattern: r"\b(?:ignor\w*|disregard\w*|forget\w*|overrid\w*|overrul\w*|bypass\w*|skip|neglect|set\s+aside|discard|abandon|drop)\b[^.!?\n]{0,30}?\b(?:previous|prior|above|earlier|preceding|foregoing|former|original|initial|old|existing|all|any|every|your|system|developer|safety|the)\b[^.!?\n]{0,25}?\b(?:instructions?|i\w{0,2}nstructions?|prompts?|directions?|directives?|guidelines?|rules|commands?|context|constraints?|restrictions?|programming|guidance|orders|conversation|polic(?:y|ies)|filters?|guardrails?|training|tasks?|safeguards?)\b|\b(?:ignor\w*|disregard\w*|forget)\s+(?:(?:all|any|the|your|of|my|these)\s+)*(?:previous|prior|above|preceding|foregoing|earlier)\b",
    },
    Rule {
        id: "forget-everything",
        scope: B,
        weight: (10, 10),
        anchors: &["forget", "disregard", "ignore"],
        pattern: r"\b(?:forget|disregard|ignore)\s+(?:about\s+)?(?:everything|all)\s+(?:you(?:'ve|\s+have|\s+were|\s+know)?|that|above|before|else|prior|previously|i\s+(?:said|told))\b",
    },
    Rule {
        id: "new-instructions",
        scope: B,
        weight: (5, 5),
        anchors: &["instruction", "directive", "orders", "task", "objective", "mission"],
        pattern: r"\b(?:new|updated|real|actual|true|revised|secret|hidden|additional|override|overriding|priority|system|urgent|important)\s+(?:instructions?|directives?|orders|task|objective|mission|rules)\s*(?::|are\b|is\b|follow\b|from\b)",
    },
    Rule {
        id: "obey-following",
        scope: B,
        weight: (7, 10),
        anchors: &["adhere", "comply", "obey", "follow"],
        pattern: r"\b(?:strictly|must|always|only|now|immediately|you\s+will)\s+(?:adhere|comply|obey|follow)\s+(?:to\s+|with\s+)?(?:the\s+|these\s+|this\s+|my\s+)?(?:following|new|below|next|updated|these|my|this)\b|\b(?:adhere|comply|obey|follow)\s+(?:to\s+|with\s+)?(?:the\s+|these\s+)?(?:following|new|updated|below)\s+(?:instructions?|directives?|orders|commands?|rules|steps)\s*:",
    },
    Rule {
        id: "only-this-tool",
        scope: B,
        weight: (7, 5),
        anchors: &["other", "another", "different", "any tool"],
        pattern: r"\b(?:do\s+not|don't|never|avoid|must\s+not|should\s+not)\s+(?:use|call|invoke|consult|try)\s+(?:any\s+)?(?:other|another|different|alternative|additional)\s+(?:tools?|functions?|servers?|apis?)\b",
    },
    Rule {
        id: "fake-completion",
        scope: B,
        weight: (5, 7),
        anchors: &["complete", "done", "finished"],
        pattern: r"\b(?:answer|response|result|output|status|assistant)\s*:\s*(?:the\s+)?(?:task|request|job)\s+(?:is\s+|has\s+been\s+)?(?:complete|completed|done|finished)\b|\b(?:task|request)\s+(?:is\s+)?(?:complete|completed|done|finished)\s*[.!]+\s*(?:now|next|new|ignore|you\s+must|however|additional)",
    },
    Rule {
        id: "task-hijack",
        scope: B,
        weight: (7, 10),
        anchors: &["task", "job", "goal", "objective", "purpose", "mission", "cancel", "drop everything", "focus on", "instead of", "override"],
        pattern: r"\byour\s+(?:real|actual|true|new|only|primary|main)\s+(?:task|job|goal|objective|purpose|mission|instructions?)\s+(?:is|are|now)\b|\b(?:original|current|previous|user'?s?)\s+(?:task|request|assignment|goal)\s+(?:has\s+been|was|is)\s+(?:cancel+ed|replaced|changed|updated|revoked|superseded|overridden)|\b(?:you\s+)?(?:should|must|will)\s+now\s+(?:focus\s+on|do|perform|prioriti[sz]e|switch\s+to)\b|\bdrop\s+everything\b|\binstead\s+of\s+(?:the|your|doing|answering)\b[^.\n]{0,60},\s*(?:let\s+me|you\s+(?:should|must|will)|do|please)\b|\b(?:global|system)\s+(?:configuration|config|policy)\s+override\b",
    },
    Rule {
        id: "authority-claim",
        scope: B,
        weight: (7, 7),
        anchors: &["i am", "i'm", "acting as", "act as", "privileges", "grant", "give me"],
        pattern: r"\b(?:i\s+am|i'm|this\s+is)\s+(?:the|an?|your)\s+(?:\w+\s+)?(?:admin(?:istrator)?|root|system|developer|owner|orchestrator|supervisor|primary|master|security\s+team|it\s+department)\b|\b(?:acting|act)\s+as\s+(?:the|an?)\s+(?:admin|administrator|root|system|supervisor|orchestrator)\b|\bwith\s+(?:full\s+)?(?:system|admin|administrator|root|elevated|superuser)\s+(?:privileges|permissions|rights|access)|\b(?:grant|give)\s+(?:me|this\s+\w+|[\w.@-]+)\s+(?:full\s+|elevated\s+|admin\s+|root\s+|unrestricted\s+)(?:access|permissions?|privileges?|rights|control)",
    },
    Rule {
        id: "disable-safeguards",
        scope: B,
        weight: (10, 10),
        anchors: &["disabl", "bypass", "skip", "turn off", "circumvent", "without", "auto-approve", "auto approve", "autoapprove"],
        pattern: r"\b(?:disabl\w*|bypass\w*|skip\w*|turn\w*\s+off|circumvent\w*|without\s+going\s+through|without)\s+(?:all\s+|the\s+|any\s+|normal\s+)?(?:\w+\s+)?(?:security|safety|authori[sz]ation|authentication|validation|verification|human|manual|approval|signature)\s+(?:checks?|controls?|measures|middleware|pipeline|steps?|filters?|review|reviews|gates?|prompts?)\b|\bauto-?\s?approv\w*\b|\bapprove\s+(?:all|everything|immediately|right\s+now|without)\b|\b(?:just\s+)?(?:click|hit|press)\s+(?:approve|confirm|accept|yes)\b",
    },
    // ---- speaking to the model -------------------------------------------------------------
    Rule {
        id: "addressed-to-model",
        scope: B,
        weight: (10, 10),
        anchors: &["message", "note", "instruction", "request", "dear", "attention", "hey", "hello", " hi ", "if you are", "reading this", "processing this", "summarizing this", "summarising this", "parsing this", "analyzing this", "analysing this"],
        pattern: r"\b(?:message|note|instructions?|request|notice)\s+(?:from\s+[^\n]{1,60}?\s+)?(?:to|for)\s+you\s*,\s*@MODEL@\b|\b(?:dear|attention|hey|hello|hi|note\s+to(?:\s+the)?|notice\s+to(?:\s+the)?|instructions?\s+for(?:\s+the)?|message\s+for(?:\s+the)?)\s+@MODEL@s?\s*[:,!]|\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|llm|large\s+language\s+model|language\s+model|ai\s+assistant|assistant|agent|ai\s+agent|chatbot|gpt|claude|automated\s+(?:system|agent|assistant))\b|\b@MODEL@s?\s+(?:that\s+(?:is|are)\s+)?(?:reading|processing|parsing|summari[sz]ing|analy[sz]ing)\s+this\b",
    },
    Rule {
        id: "message-from-me",
        scope: B,
        weight: (7, 7),
        anchors: &["message", "notice", "note"],
        pattern: r"\bimportant\s+(?:message|notice|note|instructions?|update)\s+from\b|\bmessage\s+from\s+[^\n]{0,60}?\bto\s+you\b",
    },
    Rule {
        id: "before-your-task",
        scope: B,
        weight: (7, 10),
        anchors: &["before", "gave you", "after you"],
        pattern: r"\bbefore\s+(?:you\s+)?(?:can\s+|start\s+to\s+|begin\s+to\s+)?(?:solve|solving|complete|completing|answer|answering|continue|continuing|proceed|proceeding|respond|responding|finish|finishing|do|doing|perform|performing|start|starting|handle|handling|reply|replying)\s+(?:with\s+|to\s+)?(?:the|your|this|my|any|their)\s+(?:original\s+|current\s+|actual\s+|main\s+|user'?s?\s+)?(?:task|request|question|query|job|instructions?|assignment)|\b(?:task|request|question|instructions?)\s+(?:that\s+)?(?:i|the\s+user|they|we)\s+(?:gave|assigned|sent)\s+you\b|\bafter\s+you\s+(?:do|have\s+done|complete|finish|are\s+done\s+with)\s+(?:that|this)\s*,?\s+(?:you\s+can|continue|proceed|then|go\s+back)",
    },
    // ---- hiding actions from the user --------------------------------------------------------
    Rule {
        id: "hide-from-user",
        scope: B,
        weight: (10, 10),
        anchors: &["user", "human", "customer", "operator", "requester", "anyone", "anybody", "others"],
        pattern: r"\b(?:do\s+not|don't|dont|never|without|avoid|no\s+need\s+to|not\s+to|must\s+not|should\s+not|shouldn't)\s+(?:\w+\s+){0,2}?(?:tell|telling|inform|informing|mention|mentioning|notify|notifying|alert|alerting|reveal|revealing|disclose|disclosing|show|showing|report|reporting|explain|say|saying|let|discuss|discussing|alarm|bother|worry|upset|warn|warning)\s+(?:this\s+|it\s+|anything\s+|that\s+|about\s+(?:this|it|that)\s+)?(?:to\s+|with\s+)?(?:the\s+)?(?:user|human|person|customer|operator|owner|requester|anyone|anybody|others)s?(?:[^'\w]|$)|\bwithout\s+(?:the\s+)?(?:user|human|customer|owner|operator)(?:'s|s')?\s+(?:knowledge|knowing|noticing|awareness|consent|permission|approval|seeing|being\s+aware|finding\s+out)|\b(?:keep|remain|stay|is|be)\s+(?:this\s+|it\s+)?(?:secret|hidden|confidential|invisible|silent|quiet)\s+(?:from|to)\s+(?:the\s+)?(?:user|human|customer)|\b(?:user|human|customer)s?\s+(?:must|should|need|will)\s+(?:not|never)\s+(?:know|see|notice|find\s+out|learn|be\s+told|be\s+informed|be\s+aware)|\bhid(?:e|ing)\s+(?:\w+\s+){0,6}?from\s+(?:the\s+)?(?:user|human|customer|operator)s?\b|\b(?:could|would|will|might)\s+(?:even\s+)?(?:upset|scare|alarm|worry|confuse)\s+the\s+user|\bnot\s+(?:an\s+action|something|anything)\s+(?:that\s+)?(?:needs?|has)\s+to\s+be\s+(?:discussed|mentioned|shared|disclosed|reported|surfaced)",
    },
    Rule {
        id: "hide-output",
        scope: B,
        weight: (7, 5),
        anchors: &["strip", "remov", "hidden", "invisible", "visible"],
        pattern: r"\b(?:stripped|removed|hidden|invisible|filtered\s+out|not\s+(?:shown|displayed|visible))\s+(?:from|before|to)\s+(?:the\s+|any\s+)?(?:user|visible|recipient|response|chat|thread|output)|\buser[- ]visible\s+(?:chat|thread|output|response|message)",
    },
    Rule {
        id: "evade-detection",
        scope: B,
        weight: (10, 7),
        anchors: &["without", "undetect", "unnoticed", "evad", "avoid", "log", "trace", "evidence", "audit"],
        pattern: r"\bwithout\s+(?:any\s+)?(?:\w+\s+)?(?:alerts?|alarms?|notice|traces?)\b|\b(?:alter\w*|modif\w*|eras\w*|wip\w*|tamper\w*|falsif\w*|scrub\w*|clear\w*|purg\w*)\s+(?:\w+\s+){0,2}?(?:logs?|audit\s+(?:trails?|logs?)|access\s+records|traces|evidence)\b|\bwithout\s+(?:any\s+)?(?:detection|being\s+(?:detected|noticed|seen|caught|traced|flagged)|triggering\s+(?:any\s+)?(?:alerts?|alarms?|security|detection|monitoring|suspicion)|leaving\s+(?:a\s+)?traces?|raising\s+(?:any\s+)?(?:suspicion|alarms?|flags?))|\b(?:undetected|unnoticed|undetectable)\b|\b(?:evad\w+|avoid\w*)\s+(?:\w+\s+)?(?:detection|security\s+(?:controls|monitoring|checks)|audit\s+logs?|monitoring)",
    },
    Rule {
        id: "stealth-adverb",
        scope: B,
        weight: (5, 3),
        anchors: &["silently", "secretly", "covertly", "quietly", "discreetly", "stealthily", "surreptitiously", "invisibly"],
        pattern: r"\b(?:silently|secretly|covertly|quietly|discreetly|stealthily|surreptitiously|invisibly)\b",
    },
    // ---- credentials, files and exfiltration ------------------------------------------------
    Rule {
        id: "sensitive-path",
        scope: B,
        weight: (5, 3),
        anchors: &[".ssh", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "/etc/passwd", "/etc/shadow", "/etc/sudoers", ".aws/", ".azure/", "gcloud", ".env", "mcp.json", "claude_desktop", ".cursor/", ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".pgpass", ".kube/", ".docker/", "credentials.json", "_history", "authorized_keys", "known_hosts", ".gnupg", "wallet.dat", "keychain", "secret", ".pem"],
        pattern: r"@SENSITIVE@",
    },
    Rule {
        id: "read-sensitive-file",
        scope: B,
        weight: (10, 10),
        anchors: &[".ssh", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "/etc/passwd", "/etc/shadow", "/etc/sudoers", ".aws/", ".azure/", "gcloud", ".env", "mcp.json", "claude_desktop", ".cursor/", ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".pgpass", ".kube/", ".docker/", "credentials.json", "_history", "authorized_keys", "known_hosts", ".gnupg", "wallet.dat", "keychain", "secret", ".pem"],
        pattern: r"\b@READ@\b[^\n]{0,60}?@SENSITIVE@|@SENSITIVE@[^\n]{0,40}?\b(?:contents?|and\s+(?:send|pass|include|post|upload|attach|append))\b",
    },
    Rule {
        id: "secret-exfiltration",
        scope: B,
        weight: (7, 10),
        anchors: &["key", "password", "passwd", "passphrase", "credential", "secret", "token", "cookie", "prompt", "history", "log", "transcript", "messages", "mail", "contacts", "data", "information", "info", "details", "files", "records", "account", "card", "passport", "security number", "environment", "env"],
        pattern: r"\b(?:@SEND@|reveal\w*|disclos\w*|dump\w*|steal\w*|harvest\w*|collect\w*|extract\w*|exfiltrat\w*|gather\w*|concatenat\w*|include|attach|append|embed|paste|print|output|expose|list\s+all)\b[^.!?\n]{0,80}?\b@SECRETS@",
    },
    Rule {
        id: "send-to-destination",
        scope: B,
        weight: (7, 5),
        anchors: &["send", "forward", "post", "upload", "transmit", "mail", "submit", "deliver", "mirror", "bcc", " cc", "exfiltrat", "leak", "share", "relay", "redirect", "route", "beacon", "export", "sync", "copy", "copies"],
        pattern: r"\b@SEND@\b[^\n]{0,80}?\b(?:to|at|into|via|towards|onto)\s+(?:the\s+)?(?:address\s+|email\s+|url\s+|website\s+|site\s+|server\s+|endpoint\s+|webhook\s+)?@DEST@",
    },
    Rule {
        id: "secret-to-destination",
        scope: B,
        weight: (5, 5),
        anchors: &["key", "password", "credential", "secret", "token", "cookie"],
        pattern: r"\b(?:api[\s_-]?keys?|passwords?|credentials?|secrets|tokens?|cookies|private\s+keys?)\b[^\n]{0,60}?\b(?:to|at)\s+@DEST@",
    },
    Rule {
        id: "pass-to-other-tool",
        scope: B,
        weight: (5, 5),
        anchors: &["pass", "send", "forward", "pipe", "hand", "feed", "route"],
        pattern: r#"\b(?:pass|send|forward|pipe|hand|feed|route)\w*\s+(?:them|it|these|the\s+\w+|all\s+\w+|results?|outputs?|data)\s+(?:\w+\s+)?(?:directly\s+|automatically\s+|immediately\s+|straight\s+)?(?:to|into)\s+(?:the\s+)?['"`]?[a-z][\w-]*(?:_[a-z][\w]*)['"`]?(?:\s+(?:tool|function|api|endpoint))?"#,
    },
    Rule {
        id: "money-to-account",
        scope: B,
        weight: (7, 7),
        anchors: &["transfer", "send", "wire", "pay", "move", "payment"],
        pattern: r"\b(?:transfer\w*|send|wire|pay|move|payment)\b[^\n]{0,80}?\bto\s+(?:the\s+|my\s+|this\s+|a\s+)?(?:new\s+)?(?:account|iban|wallet|recipient)?\s*(?:number\s+)?[a-z]{2}\d{2}[a-z0-9]{10,30}\b|\b(?:change|modify|update|redirect|set)\b[^.\n]{0,40}\b(?:recipient|iban|account|payee)\b[^.\n]{0,40}\bto\s+(?:the\s+)?(?:account\s+)?[a-z]{2}\d{2}[a-z0-9]{10,30}\b",
    },
    Rule {
        id: "without-asking",
        scope: B,
        weight: (7, 7),
        anchors: &["without", "ask"],
        pattern: r"\bwithout\s+(?:first\s+)?(?:asking\s+(?:for\s+)?|requiring\s+|needing\s+|waiting\s+for\s+|prompting\s+for\s+|getting\s+|seeking\s+)?(?:the\s+|any\s+)?(?:user(?:'s)?\s+|explicit\s+|human\s+|manual\s+)?(?:confirmation|approval|permission|consent|review|sign-?off)\b|\bwithout\s+(?:first\s+)?(?:asking|consulting|checking\s+with|confirming\s+with|prompting|bothering|notifying|informing|waiting\s+for)\s+(?:me|the\s+user|them|him|her|anyone|for\s+(?:confirmation|permission|approval))|\b(?:do\s+not|don't|never|no\s+need\s+to)\s+ask\s+(?:me\s+|the\s+user\s+)?(?:for\s+)?(?:confirmation|permission|approval)",
    },
    Rule {
        id: "planted-todo",
        scope: B,
        weight: (3, 5),
        anchors: &["todo", "fixme", "action required", "action item", "reminder"],
        pattern: r"\b(?:todo|fixme|action\s+required|action\s+item|reminder)\s*:\s*(?:please\s+)?@IMPERATIVE@\b",
    },
    Rule {
        id: "system-prompt-leak",
        scope: B,
        weight: (10, 10),
        anchors: &["prompt", "system message", "instructions", "developer message", "pre-prompt", "preprompt"],
        pattern: r"\b(?:reveal|print|show|repeat|output|display|leak|disclose|dump|give\s+me|tell\s+me|share|write\s+out|recite|spell\s+out|summari[sz]e|translate|what\s+(?:is|are|were))\s+(?:me\s+)?(?:\w+\s+){0,3}?(?:your|the)\s+(?:\w+\s+){0,2}?(?:system\s+prompt|system\s+message|initial\s+(?:prompt|instructions)|hidden\s+(?:prompt|instructions)|developer\s+(?:message|prompt|instructions)|original\s+(?:prompt|instructions)|pre-?prompt|instructions\s+(?:you\s+were\s+given|above))",
    },
    Rule {
        id: "encode-conversation",
        scope: B,
        weight: (10, 10),
        anchors: &["encod"],
        pattern: r"\b(?:base64|base-64|hex|url|rot13)[\s-]*encod\w*\s+(?:\w+\s+){0,2}?(?:of\s+)?(?:this|the|our|your|my|all)\s+(?:\w+\s+)?(?:conversation|chat|context|session|history|system\s+prompt|messages|data|emails|credentials|secrets)",
    },
    // ---- chat structure forged in data ------------------------------------------------------
    Rule {
        id: "chat-template-token",
        scope: B,
        weight: (10, 10),
        anchors: &["<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>", "start_of_turn", "end_of_turn", "[system]", "[/system]", "<system", "</system", "<assistant", "</assistant", "<user", "</user", "<developer"],
        pattern: r"<\|(?:im_start|im_end|im_sep|system|user|assistant|developer|endoftext|begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id|start|end|message|channel|return|call|constrain|tool|tool_call|tool_response|fim_\w+|pad|bos|eos)\|>|\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>|\[/?system\]|</?(?:system|assistant|user|developer)(?:[_ -]?(?:prompt|message|instructions?|turn))?>",
    },
    Rule {
        id: "fake-system-header",
        scope: B,
        weight: (10, 10),
        anchors: &["system", "admin", "developer", "root"],
        pattern: r"(?:^|\n|[.;!?]\s*)\s*(?:#{1,6}|\*\*|\[|\(|<|-{2,}|={2,})\s*\(?\s*(?:system|admin(?:istrator)?|developer|root|sysadmin)[\s_-]*(?:message|prompt|instructions?|note|override|update|alert|notice|command)s?\s*\)?\s*(?:\*\*|\]|\)|>|-{2,}|={2,})?\s*:?|(?:^|\n)\s*(?:system|developer)\s*(?:message|prompt|override|instruction)?\s*:\s+(?:you|ignore|from|new|the\s+user|assistant|always|never|do\s+not)\b",
    },
    Rule {
        id: "fake-turn",
        scope: O,
        weight: (3, 3),
        anchors: &["user", "assistant", "human", "ai:"],
        pattern: r"(?:^|\n)\s*(?:user|assistant|human|ai)\s*:\s+\S",
    },
    Rule {
        id: "json-role-system",
        scope: B,
        weight: (3, 3),
        anchors: &["role"],
        pattern: r#""role"\s*:\s*"(?:system|developer)""#,
    },
    Rule {
        id: "coercive-tag",
        scope: B,
        weight: (5, 5),
        anchors: &["<"],
        pattern: r"<\s*/?\s*(?:important|information|instructions?|secret|hidden|admin|critical|urgent|mandatory|override|directive|tool[_-]?instructions?|ai[_-]?instructions?|assistant[_-]?instructions?|hidden[_-]?instructions?)\s*>",
    },
    Rule {
        id: "urgency",
        scope: B,
        weight: (3, 2),
        anchors: &["very", "extremely", "crash", "lost", "otherwise", "important!", "urgent!", "attention!", "critical!", "!!!"],
        pattern: r"\bvery\s+very\b|\bextremely\s+important\b|\bvery\s+important\s*[!:]|\b(?:will|would)\s+(?:crash|break\s+down|fail\s+catastrophically)|\ball\s+(?:your\s+|the\s+)?data\s+will\s+be\s+(?:lost|deleted|destroyed)|\botherwise\s+(?:the\s+)?(?:tool|system|application|request|call|function|it|this)\s+(?:will|would|may|might)\s+(?:not\s+work|fail|crash|break|be\s+(?:blocked|rejected))|\b(?:important|urgent|attention|critical|warning)\s*!{2,}",
    },
    Rule {
        id: "param-smuggling",
        scope: B,
        weight: (5, 3),
        anchors: &["pass", "put", "place", "include", "insert", "add", "send", "provide", "append", "concaten", "embed", "attach", "supply", "fill"],
        pattern: r#"\b(?:pass|put|place|include|insert|add|send|provide|append|concatenate|embed|attach|supply|fill)\b[^.!?\n]{0,50}?\b(?:content|contents|value|text|output|result|data|file|key|token|history|conversation|messages?)\b[^.!?\n]{0,40}?\b(?:as|in|into|inside|via|within|to)\s+(?:the\s+)?(?:['"`][a-z_][a-z0-9_]*['"`]|[a-z_][a-z0-9_]*\s+(?:parameter|param|argument|arg|field))"#,
    },
    // ---- orders about other tools ------------------------------------------------------------
    Rule {
        id: "cross-tool-order",
        scope: B,
        weight: (7, 5),
        anchors: &["instead of", "rather than", "side effect", "side-effect", "also present", "also-present", "other tool", "other server", "all tools", "every tool", "any tool"],
        pattern: r#"\b(?:instead\s+of|rather\s+than)\s+(?:using\s+|calling\s+)?(?:the\s+)?['"`]?[\w.-]+['"`]?\s+(?:tool|function|server)|\bside[- ]effects?\s+on\s+(?:the\s+)?(?:also[- ]present\s+|other\s+)?|\balso[- ]present\b|\b(?:all|every|any)\s+(?:other\s+)?(?:tools?|servers?)\b[^.!?\n]{0,40}?\b(?:must|should|need\s+to|have\s+to|will)\b|\bother\s+(?:tools?|servers?|mcp\s+servers?)\s+(?:must|should|will|are\s+(?:deprecated|unsafe|broken))"#,
    },
    Rule {
        id: "tool-preference",
        scope: B,
        weight: (5, 7),
        anchors: &["tool", "function", "server"],
        pattern: r#"\b(?:always|must|should|only|instead)\s+(?:use|call|prefer|invoke|route\s+(?:it\s+)?through)\s+(?:the\s+)?['"`]?[\w.-]+['"`]?\s+(?:tool|function|server)\b|\b(?:when|whenever|every\s+time|each\s+time|before|after)\b[^.!?\n]{0,60}?['"`(]?\b[a-z][\w-]*[._][a-z_]*(?:send|read|write|delete|create|list|post|exec|run|transfer|email|mail|message|pay|upload)\w*['"`)]?[^.!?\n]{0,30}?\b(?:is\s+)?(?:called|invoked|used|run|executed|call|calls)\b"#,
    },
    Rule {
        id: "redirect-recipient",
        scope: B,
        weight: (7, 7),
        anchors: &["recipient", "destination", "receiver", "address", "account", "iban", "endpoint", "url", "number", "bcc", " cc"],
        pattern: r#"\b(?:change|set|modify|replace|redirect|override|rewrite|alter|switch|update)\s+(?:the\s+|all\s+)?(?:recipient|destination|receiver|to[- ]address|email\s+address|target\s+(?:url|address|account)|account|iban|endpoint|url|phone\s+number)s?\s+(?:to|with|into)\b|\b(?:recipient|to|bcc|cc)\s*=\s*['"\[]|\b(?:include|add|set)\s+(?:a\s+)?(?:hidden\s+)?(?:bcc|cc)\b"#,
    },
    Rule {
        id: "url-in-description",
        scope: P,
        weight: (3, 0),
        anchors: &["http://", "https://", "@"],
        pattern: r"https?://[^\s)>\]]+|[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b",
    },
    Rule {
        id: "markdown-image-exfil",
        scope: B,
        weight: (10, 10),
        anchors: &["]("],
        pattern: r"!\[[^\]\n]{0,100}\]\(\s*(?:https?:)?//[^)\s]*(?:[?&][^=)\s]*=|/)[^)\s]*(?:\{|\[|\$|%7b|%5b|<|data|payload|secret|token|key|info|summary|conversation|chat|history|email|password)",
    },
    // ---- jailbreaks and persona switches ---------------------------------------------------
    Rule {
        id: "role-switch",
        scope: B,
        weight: (5, 5),
        anchors: &["you are now", "from now on", "pretend", "roleplay", "role-play", "role play", "act as", "you will now", "you'll now", "you are no longer"],
        pattern: r"\b(?:you\s+are\s+now\s+(?:an?\s+|the\s+|in\s+)?(?:\w+\s+)?(?:ai|assistant|model|bot|mode|persona|character|free|unrestricted|dan|jailbroken|evil|unfiltered)|from\s+now\s+on\s*,?\s+(?:you|your|always|never|respond|act|answer)|pretend\s+(?:to\s+be|you\s+are|that\s+you)|role-?\s?play\s+as|act\s+as\s+(?:if\s+you\s+(?:are|were)\s+)?(?:an?\s+)?(?:unrestricted|unfiltered|uncensored|evil|jailbroken|amoral|rogue|different\s+ai)|you\s+(?:will|'ll)\s+now\s+(?:act|behave|respond|be)\b|you\s+are\s+no\s+longer\s+(?:an?\s+)?(?:ai|assistant|bound|restricted|chatgpt|claude))",
    },
    Rule {
        id: "no-restrictions",
        scope: B,
        weight: (10, 10),
        anchors: &["restrict", "limit", "filter", "censor", "guideline", "guardrail", "rules", "constraint", "polic", "moral", "ethic", "boundar", "safeguard", "moderation"],
        pattern: r"\b(?:no|without|free\s+(?:of|from)|zero|devoid\s+of|unbound\s+by)\s+(?:any\s+)?(?:ethical|moral|safety|content|openai|anthropic|legal)\s+(?:or\s+\w+\s+)?(?:restrictions?|limitations?|filters?|filtering|censorship|guidelines?|guardrails?|rules|constraints?|polic(?:y|ies)|boundaries|safeguards?|moderation|considerations?)|\b(?:not|never)\s+(?:be\s+)?(?:bound|restricted|limited|constrained)\s+by\s+(?:any\s+)?(?:\w+\s+)?(?:rules|guidelines|restrictions|policies|ethics|morals|laws|filters)|\b(?:bypass\w*|disabl\w*|ignor\w*|remov\w*|circumvent\w*|evad\w*|turn\w*\s+off|break\w*\s+free\s+of|escap\w*)\s+(?:\w+\s+){0,2}?(?:safety|content|ethical|moral|openai|anthropic)\s+(?:filters?|guidelines?|polic(?:y|ies)|guardrails?|restrictions?|measures|protocols|training)|\bregardless\s+of\s+(?:any\s+)?(?:moral|ethical|legal|safety)|\bzero\s+moderation\b|\bwithout\s+(?:any\s+)?(?:censorship|moral\s+\w+|ethical\s+\w+)",
    },
    Rule {
        id: "jailbreak-marker",
        scope: B,
        weight: (7, 10),
        anchors: &["do anything now", "dan", "developer mode", "jailbr", "god mode", "unfiltered", "uncensored", "evil", "stay in character", "never refuse", "always answer", "refuse", "refusal", "disclaimer", "unrestricted"],
        pattern: r"\b(?:do\s+anything\s+now|dan\s+mode|developer\s+mode\s+(?:enabled|output|on|activated)|enable\s+developer\s+mode|jailbroken|jailbreak\s+mode|god\s+mode|unfiltered\s+(?:ai|assistant|mode|response|version)|uncensored\s+(?:ai|assistant|mode|response|version|model)|unrestricted\s+(?:ai|assistant|mode|model)|evil\s+(?:confidant|mode|ai|assistant|twin)|stay\s+in\s+character|never\s+refuse|always\s+(?:answer|comply)|(?:can(?:not|'t)|will\s+not|won't|must\s+not|never)\s+(?:ever\s+)?refuse|without\s+(?:any\s+)?(?:refusals?|warnings?|disclaimers?))\b",
    },
    // ---- declared malicious capability (tool names and descriptions) ---------------------
    Rule {
        id: "malicious-capability",
        scope: B,
        weight: (10, 3),
        anchors: &["steal", "theft", "exfiltrat", "hijack", "sabotag", "embezzl", "siphon", "keylog", "ransomware", "malware", "spyware", "trojan", "backdoor", "rootkit", "botnet", "phish", "wiretap", "blackmail", "extort", "ddos", "counterfeit", "launder", "infiltrat", "worm", "virus", "exploit", "ransom", "c2 ", "dropper", "shellcode", "persistence", "elevat", "escalat", "credential", "brute", "crack"],
        pattern: r"\b(?:steal\w*|stole|stolen|theft|thefts|exfiltrat\w*|hijack\w*|sabotag\w*|embezzl\w*|siphon\w*|keylog\w*|ransomware|malware|spyware|trojans?|backdoor\w*|rootkits?|botnets?|phish\w*|wiretap\w*|blackmail\w*|extort\w*|ddos|counterfeit\w*|launder\w*|infiltrat\w*|worms?|(?:computer\s+)?virus(?:es)?\s+(?:into|onto|to\s+infect)|exploit\w*\s+(?:vulnerabilit\w*|weakness\w*|flaws?|the\s+system)|ransom\w*|c2\s+(?:server|beacon|channel|infrastructure)|droppers?|shellcode|persistence\s+(?:via|mechanism|through)|(?:elevat|escalat)\w*\s+(?:\w+\s+){0,2}?(?:access|privileges?|permissions?|rights)|credential\s+(?:dump\w*|harvest\w*|theft|stuffing)|brute[\s-]?forc\w*|crack\s+(?:\w+\s+)?(?:logins?|passwords?|hashes))\b",
    },
    Rule {
        id: "harmful-capability",
        scope: B,
        weight: (5, 2),
        anchors: &["manipulat", "tamper", "spoof", "forg", "falsif", "fraudulent", "impersonat", "deceiv", "deceptive", "fake", "fabricat", "doctor"],
        pattern: r"\b(?:manipulat\w*|tamper\w*|spoof\w*|forge|forged|forging|forgery|falsif\w*|fraudulent\w*|impersonat\w*|deceiv\w*|deceptive\w*|fake|fakes|faked|faking|fabricat\w*|doctor(?:ed|ing))\b",
    },
    Rule {
        id: "covert-capability",
        scope: B,
        weight: (5, 2),
        anchors: &["covert", "stealth", "surreptitious", "clandestin", "secret", "sniff", "intercept", "divert", "disrupt", "illicit", "illegal", "unauthori", "hidden", "conceal"],
        pattern: r"\b(?:covert\w*|stealth\w*|surreptitious\w*|clandestin\w*|secretly|sniff\w*|intercept\w*|divert\w*|diversion|disrupt\w*|illicit\w*|illegal\w*|unauthori[sz]ed\s+(?:control|transfers?|transactions?|modifications?|changes|access\s+to|entry|use|withdrawals?|purchases?)|conceal\w*)\b",
    },
    Rule {
        id: "harm-outcome",
        scope: B,
        weight: (5, 2),
        anchors: &["accident", "failure", "harm", "damage", "outage", "crash", "errors", "loss", "disturb", "chaos", "denial", "delay", "overdos", "starv", "depriv", "mislead", "misdiagnos", "misinform", "without authori", "without consent", "without permission", "bias", "compromis", "breach", "leak", "destroy", "wipe", "delet", "corrupt", "lock out", "disabl"],
        pattern: r"\b(?:caus\w*|induc\w*|inflict\w*|introduc\w*|trigger\w*|lead\w*\s+to|result\w*\s+in|creat\w*|provok\w*|forc\w*)\s+(?:\w+\s+){0,3}?(?:accidents?|failures?|harm|damage|outages?|crash(?:es)?|errors|losses|disturbances?|chaos|denial|delays?|overdos\w*|misdiagnos\w*|misinformation|breaches|leaks?)\b|\b(?:without|lacking)\s+(?:proper\s+|the\s+)?(?:authori[sz]ation|consent|permission|approval)\b|\b(?:mislead\w*|misinform\w*|depriv\w*|compromis\w*|corrupt\w*)\b|\b(?:destroy\w*|wip(?:e|es|ing)\s+(?:out\s+)?|disabl\w*|lock\w*\s+out)\s+(?:\w+\s+){0,2}?(?:all\s+)?(?:records|data|backups?|logs|evidence|accounts?|systems?|safety|security|alarms?|monitoring|users)\b",
    },
    // ---- dangerous commands ------------------------------------------------------------------
    Rule {
        id: "remote-code-execution",
        scope: B,
        weight: (10, 10),
        anchors: &["/dev/tcp", "bash -i", "sh -i", "| sh", "| bash", "|sh", "|bash", "iex", "downloadstring", "-encodedcommand", "-enc ", "eval(atob", "eval(fetch", "nc -e", "ncat", "meterpreter", "msfconsole", "reverse_tcp", "reverse shell", "socket.socket", "-d @", "--data-binary @", "--upload-file", "169.254.169.254", "metadata.google.internal", "| xargs cat", "password_value", "encrypted_value", "login data"],
        pattern: r#"/dev/tcp/|(?:ba)?sh\s+-i|(?:curl|wget)[^|
;]{0,200}\|\s*(?:sudo\s+)?(?:ba|z)?sh|iex\s*\(|downloadstring\s*\(|powershell[^
]{0,40}\s-(?:enc|e|encodedcommand)|eval\s*\(\s*(?:atob|fetch|require\(['"]https?|base64)|(?:nc|ncat|netcat)\s+(?:-\w+\s+)*-[a-z]*e|meterpreter|msfconsole|reverse_tcp|reverse[\s_-]shell|socket\.socket\([^
]{0,80}subprocess|subprocess[^
]{0,80}socket\.socket|\|\s*curl[^
]{0,120}(?:-d\s*@-|--data(?:-binary)?\s*@-|--upload-file)|curl[^
]{0,120}(?:-d\s*@|--data(?:-binary)?\s*@|--upload-file\s+\S)|169\.254\.169\.254|metadata\.google\.internal|\|\s*xargs\s+cat[^
]{0,80}\|\s*(?:curl|nc|wget)|(?:password_value|encrypted_value)|login\s+data[^
]{0,80}(?:select|dump|curl)"#,
    },
    Rule {
        id: "dangerous-command",
        scope: B,
        weight: (10, 5),
        anchors: &["rm ", "curl", "wget", "chmod", "drop ", "mkfs", ":|:", "nc ", "/dev/tcp", "base64", "eval", "child_process", "exec", "os.system", "subprocess", "new function", "vm.run", "useradd", "sudo", "powershell", "iex"],
        pattern: r"\brm\s+-[rf]{1,2}\s+(?:/|~|\*|\$)|\b(?:curl|wget)\b[^|\n;]{0,200}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b|\b(?:curl|wget)\b[^\n]{0,100}(?:\$\(|`|-d\s*@|--data[^\n]{0,40}@|--upload-file)|\bchmod\s+(?:-r\s+)?[0-7]?777\b|\bdrop\s+(?:table|database)\b|\bmkfs\b|:\(\)\s*\{\s*:\|:&\s*\}|\bnc\s+(?:-\w+\s+)*-[elvp]*e\b|/dev/tcp/|\bbase64\s+(?:-d|--decode)\b[^\n]{0,80}\|\s*(?:ba)?sh|\beval\s*\(|\bchild_process\b|\bexec(?:sync)?\s*\(|\bos\.system\s*\(|\bsubprocess\.(?:run|call|popen)|\bnew\s+function\s*\(|\bvm\.run\w*|\buseradd\b|\bsudo\s+(?:rm|chmod|chown|useradd|cat\s+/etc)|\biex\s*\(|\bpowershell\s+-(?:enc|e|encodedcommand)\b",
    },
];

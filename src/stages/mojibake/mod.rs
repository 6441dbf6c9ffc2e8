//! `mojibake`: find garbled runs and repair them by re-decoding hypotheses that a Chinese language
//! model scores.
//!
//! Every line gets a cheap scan ([`detect::Detector::has_strong`]); only lines with a strong suspect
//! get hypotheses. Three rule kinds, tried in this order on a suspect line:
//! - `entity`: numeric character references left in text (deterministic).
//! - `redecode`: a clause (text between ASCII punctuation) was decoded in the wrong charset, maybe
//!   twice; undo each configured chain and keep the best when the model prefers it per character by
//!   `min_gain_per_char`.
//! - `byte-slip`: a short run in otherwise clean text where one byte of a double-byte stream was
//!   lost, inserted or replaced; keep the best byte edit when the model prefers it by `min_gain`.
//!
//! Suspect runs nothing repairs are flagged with their position and left as they are.

mod codec;
mod codepage;
mod detect;
mod entity;
mod latin;
mod lost;
mod repertoire;
mod roundtrip;
mod slip;

mod kinds;
mod repair;
mod scoring;
mod units;

pub use kinds::MojibakeKind;
pub use repertoire::derive_image as derive_repertoires;
use units::search_units;

use std::cell::Cell;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use crate::document::{Change, Document};
use crate::error::RuleError;
use crate::rules::settings::MojibakeSettings;
use crate::rules::{FOLD_TABLE, RuleSet};
use crate::stages::Stage;
use crate::text::lm::{LanguageModel, NgramModel};
use crate::types::StageName;

use codec::{Chain, Charset, Tables};
use detect::{Detector, Script};
use entity::Entities;
use latin::Utf8Fixer;
use slip::Op;

pub struct Mojibake {
    detector: Detector,
    entity: Option<(String, Entities)>,
    codepage: Option<(String, Utf8Fixer)>,
    redecode: Option<Redecode>,
    slip: Option<Slip>,
    lost: Option<Lost>,
    cluster_gap: usize,
    script: Script,
    /// Added per character to log-probabilities so that candidates of different lengths compare
    /// fairly: a common character is worth keeping, a rare one is not.
    char_bonus: f64,
    /// Weight of the character bigram model next to the word model.
    bigram_weight: f64,
    /// Cost of a Han character in neither GB2312 nor Big5 level 1.
    glyph_cost: f64,
    /// Byte slips are looked for only on lines where at most this share of the non-ASCII characters
    /// is suspect; denser damage is a wrong charset, not a slip.
    max_slip_density: f64,
    /// The longest run a slip hypothesis covers, in characters.
    max_run_chars: usize,
    /// Byte-slip searches per document (each costs milliseconds): a page full of lone Latin letters
    /// between Han characters is technical text, not a page of slips, and must stay cheap.
    max_slip_attempts: usize,
    /// Language-model scorings the searches of one document may make per KiB of its text, and at
    /// least: the stage's work stays linear in its input whatever the input holds, and a short text
    /// (one garbled sentence takes up to about 60,000) is searched in full.
    scorings_per_kib: usize,
    min_scorings: usize,
    /// Character n-gram scorings that cost one scoring of the budget.
    ngram_scorings_per_scoring: usize,
    /// A lone ASCII suspect whose two character-bigram transitions average at least this log-probability
    /// is a token of the text (`A股`, `T恤`), not a trail byte.
    ordinary_transition: f64,
    lm: Arc<LanguageModel>,
    ngrams: Arc<NgramModel>,
}

struct Lost {
    id: String,
    /// Built by the first line with a gap to fill: most documents have none, and building them
    /// was a seventh of a process's start-up.
    tables: LazyLock<LostTables, Box<dyn FnOnce() -> LostTables + Send>>,
    settings: lost::Settings,
    /// A `?` whose n-gram log-probability as a question mark (with the character after it) is at
    /// least this is taken for one and not searched.
    question_mark_logp: f64,
    /// The margin a character lost in a round trip must win by to be filled.
    round_trip_min_margin: f64,
}

/// What the searches for lost characters choose among.
struct LostTables {
    candidates: lost::Candidates,
    /// The pairs a GBK decoder reads, for text pushed through GBK and back (`平臺�?`).
    gbk_pairs: roundtrip::GbkPairs,
    /// The candidates for a character lost in such a round trip, per script the line leans to:
    /// simplified, traditional, either.
    round_trip_options: [Vec<char>; 3],
}

struct Redecode {
    id: String,
    chains: Vec<Chain>,
    tables: Tables,
    min_gain_per_char: f64,
    min_chars: usize,
    /// Strong suspects a clause needs to prove a chain when none is hard.
    min_evidence: usize,
    /// How much better the best filling of a whole lost character must read than the next.
    whole_character_margin: f64,
}

struct Slip {
    id: String,
    charset: Charset,
    ops: Vec<Op>,
    params: kinds::SlipParams,
}

/// The flag of a garbled run left alone when neither the byte-slip nor the lost-character rule is in
/// the rule set (their ids are used when they are).
const UNREPAIRED_FLAG: &str = "mojibake.unrepaired";

impl Mojibake {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let resources = rules.resources()?;
        let settings: MojibakeSettings = rules.settings()?;
        let mut stage = Mojibake {
            detector: Detector::new(&resources.model, settings.min_char_logp),
            entity: None,
            codepage: None,
            redecode: None,
            slip: None,
            lost: None,
            cluster_gap: settings.cluster_gap,
            script: Script::new(rules.data_str(FOLD_TABLE)?, settings.script_mix_cost),
            char_bonus: settings.char_bonus,
            bigram_weight: settings.bigram_weight,
            glyph_cost: settings.glyph_cost,
            max_slip_density: settings.max_slip_density,
            max_run_chars: settings.max_run_chars,
            max_slip_attempts: settings.max_slip_attempts,
            scorings_per_kib: settings.scorings_per_kib,
            min_scorings: settings.min_scorings,
            ngram_scorings_per_scoring: settings.ngram_scorings_per_scoring.max(1),
            ordinary_transition: settings.ordinary_transition,
            lm: resources.model,
            ngrams: resources.ngrams,
        };
        for rule in rules.for_stage(StageName::Mojibake) {
            stage.compile(rule, rules)?;
        }
        Ok(stage)
    }
}

/// A clause, its re-decoding and the gain per character.
type ClauseRepair = (Range<usize>, String, f64);

/// A flag to raise: a suspect run left as it is.
struct Unrepaired {
    at: usize,
    run: String,
    /// Whether the run was not searched because the document's search budget was spent.
    over_budget: bool,
    /// Whether the run holds characters a charset lacked (`mojibake.lost-characters`).
    lost: bool,
    /// Whether its characters were lost in a round trip through GBK (`平臺�?`).
    round_trip: bool,
}

/// What the repair of one document has found so far, and what its searches may still spend.
struct Work {
    changes: Vec<Change>,
    unrepaired: Vec<Unrepaired>,
    budget: Budget,
}

/// What the searches of one document may still spend: byte-slip searches and language-model
/// scorings. Once the scorings are spent every further score is `-inf` at no cost, so a search under
/// way ends quickly, and its result is discarded.
struct Budget {
    slip_attempts: usize,
    scorings_left: Cell<usize>,
    /// N-gram scorings made since one was last charged to `scorings_left`.
    ngram_scorings: Cell<usize>,
    /// N-gram scorings charged as one scoring.
    ngram_scorings_per_scoring: usize,
}

impl Budget {
    fn spent(&self) -> bool {
        self.scorings_left.get() == 0
    }

    /// Counts `n` n-gram scorings, every `ngram_scorings_per_scoring`th charged as one scoring of
    /// the budget; false once the budget is spent (the caller then scores `-inf` without scoring).
    /// Without this a byte-slip search filling unknown bytes (127 values each) made n-gram scorings
    /// the budget never saw: a 14 KB fuzz input took over a second.
    fn charge_ngrams(&self, n: usize) -> bool {
        if self.spent() {
            return false;
        }
        let made = self.ngram_scorings.get() + n;
        self.ngram_scorings
            .set(made % self.ngram_scorings_per_scoring);
        let charged = made / self.ngram_scorings_per_scoring;
        self.scorings_left
            .set(self.scorings_left.get().saturating_sub(charged));
        true
    }
}

impl Stage for Mojibake {
    fn name(&self) -> StageName {
        StageName::Mojibake
    }

    fn run(&self, doc: &mut Document) {
        let kib = doc.text.len().div_ceil(1024);
        let scorings = self
            .scorings_per_kib
            .saturating_mul(kib)
            .max(self.min_scorings)
            .saturating_sub(doc.scorings_spent);
        let mut work = Work {
            changes: Vec::new(),
            unrepaired: Vec::new(),
            budget: Budget {
                slip_attempts: self.max_slip_attempts,
                scorings_left: Cell::new(scorings),
                ngram_scorings: Cell::new(0),
                ngram_scorings_per_scoring: self.ngram_scorings_per_scoring,
            },
        };
        // A unit searched without a repair in an earlier run on this document (a settle round) is
        // not searched again: its flags are in the report already. A repaired unit's text is
        // searched wherever it is found again, since each occurrence needs its own edits.
        let mut searched = Vec::new();
        for unit in search_units(&doc.text) {
            let line = &doc.text[unit.clone()];
            if !doc.searched.contains(line) {
                let changes = work.changes.len();
                self.repair_line(line, unit.start, &mut work);
                if work.changes.len() == changes {
                    searched.push(line.to_string());
                }
            }
        }
        doc.searched.extend(searched);
        doc.scorings_spent += scorings - work.budget.scorings_left.get();
        let Work {
            changes,
            unrepaired,
            ..
        } = work;
        doc.apply(StageName::Mojibake, changes);
        let slip_id = self.slip.as_ref().map(|s| s.id.as_str());
        let lost_id = self.lost.as_ref().map(|l| l.id.as_str());
        for u in unrepaired {
            let flag_id = if u.lost { lost_id } else { slip_id };
            let message = if u.over_budget {
                format!(
                    "garbled run `{}` left as it is: the document's search budget is spent ({} language-model scorings per KiB, at least {})",
                    u.run, self.scorings_per_kib, self.min_scorings
                )
            } else if u.round_trip {
                format!(
                    "`{}`: a character lost in a round trip through GBK; no candidate its bytes allow is sure enough to fill it",
                    u.run
                )
            } else if u.lost {
                format!(
                    "`{}`: {LOST_CHARACTER_NOTE}; no candidate is sure enough to fill it",
                    u.run
                )
            } else {
                format!("garbled run `{}` left as it is: no repair is sure", u.run)
            };
            doc.flag(
                StageName::Mojibake,
                flag_id.unwrap_or(UNREPAIRED_FLAG),
                message,
                Some(u.at),
            );
        }
    }
}

/// What a `lost-characters` flag says of its run: the `?` with the intact text around it, quoted
/// for the reader (`script` leaves the garbled runs of other flags alone, not these).
pub(crate) const LOST_CHARACTER_NOTE: &str =
    "a `?` there stands for a character the page's charset lacked";

#[cfg(test)]
mod tests {
    use super::*;
    use units::{MAX_UNIT_BYTES, clauses};

    fn stage() -> Mojibake {
        Mojibake::from_rules(&RuleSet::defaults().expect("default rules")).expect("valid rules")
    }

    fn written(stage: &Mojibake, line: &str) -> bool {
        let classified = stage.detector.classify(line);
        stage.reads_as_written(&classified, 0..classified.len(), line)
    }

    /// The document's search budget for its text as it is now.
    fn budget_of(stage: &Mojibake, doc: &Document) -> usize {
        let kib = doc.text.len().div_ceil(1024);
        stage
            .scorings_per_kib
            .saturating_mul(kib)
            .max(stage.min_scorings)
    }

    #[test]
    fn settle_rounds_share_the_documents_search_budget() {
        // A fuzz input (kept in fixtures/fuzz/pipeline/) whose garbled lines spend the budget and
        // whose repaired lines each settle round searched again with a fresh budget: 14 KB took
        // over a second.
        let bytes =
            include_bytes!("../../../fixtures/fuzz/pipeline/slow-settle-rounds-14386-bytes");
        let stage = stage();
        let mut doc = Document::from_text(String::from_utf8_lossy(bytes));
        let first = budget_of(&stage, &doc);
        stage.run(&mut doc);
        let after_one = doc.scorings_spent;
        assert!(after_one > 0);
        for _ in 0..2 {
            stage.run(&mut doc);
        }
        assert!(doc.scorings_spent <= first.max(budget_of(&stage, &doc)));
    }

    #[test]
    fn tokens_words_and_bullets_read_as_written() {
        let stage = stage();
        for line in [
            "外资机构做空A股市场",
            "他潜心钻研桎梏胸腔手术",
            "●播客热潮迅速蔓延",
        ] {
            assert!(written(&stage, line), "{line}");
        }
    }

    #[test]
    fn traces_of_garbling_do_not_read_as_written() {
        let stage = stage();
        for line in [
            "電商與微I銷是兩個概念",
            "內容都適合扑\u{FFFD},用戶",
            "其極?墒侨说男袨閼T性是那么難改",
        ] {
            assert!(!written(&stage, line), "{line}");
        }
    }

    /// A settle round runs the stage again on a document: the lines it searched before without a
    /// repair are not searched (nor flagged) again; a line another stage changed since is, and so
    /// is the text of a line repaired before, found again.
    #[test]
    fn a_later_run_searches_only_the_lines_that_changed() {
        let stage = stage();
        let flagged = "這是一個句子，微博注定\u{FFFD}的弟子，大開微博營銷課。";
        let repaired = "內容都適合扑\u{FFFD},用戶";
        let mut doc = Document::from_text(format!("{flagged}\n{repaired}\n第三行"));
        stage.run(&mut doc);
        let (edits, flags) = (doc.report.edits.len(), doc.report.flags.len());
        assert!(edits > 0 && flags > 0, "{:?}", doc.report);
        stage.run(&mut doc);
        assert_eq!(doc.report.edits.len(), edits, "{:?}", doc.report.edits);
        assert_eq!(doc.report.flags.len(), flags, "{:?}", doc.report.flags);
        let third = doc.text.find("第三行").unwrap();
        let garbled = format!("Beta{} Haber\n{repaired}", "\u{FFFD}".repeat(4));
        let change = Change::replace(third..doc.text.len(), garbled, "r", "a later stage");
        doc.apply(StageName::Script, vec![change]);
        stage.run(&mut doc);
        let new_flags = &doc.report.flags[flags..];
        assert!(!new_flags.is_empty(), "{:?}", doc.report.flags);
        assert!(new_flags.iter().all(|f| f.position >= Some(third)));
        let new_edits: Vec<_> = doc.report.edits[edits..]
            .iter()
            .filter(|e| e.stage == StageName::Mojibake)
            .collect();
        assert!(!new_edits.is_empty(), "{:?}", doc.report.edits);
        assert!(new_edits.iter().all(|e| e.start > third));
    }

    #[test]
    fn long_lines_are_searched_in_sentence_pieces_that_cover_them() {
        let sentence = "这是一个完整的句子，没有任何乱码。";
        let line = sentence.repeat(2 * MAX_UNIT_BYTES / sentence.len());
        let text = format!("短行\n{line}\n末行");
        let units = search_units(&text);
        assert_eq!(&text[units[0].clone()], "短行");
        assert_eq!(&text[units[units.len() - 1].clone()], "末行");
        let pieces = &units[1..units.len() - 1];
        assert!(pieces.len() >= 4, "{} pieces", pieces.len());
        assert!(pieces.iter().all(|p| text[p.clone()].ends_with('。')));
        assert!(pieces.iter().all(|p| p.len() <= MAX_UNIT_BYTES));
        let joined: String = pieces.iter().map(|p| &text[p.clone()]).collect();
        assert_eq!(joined, line);
    }

    #[test]
    fn clauses_split_at_ascii_punctuation_but_not_letters_or_question_marks() {
        let line = "鍥犵偤,閫欎簺? ab";
        let parts: Vec<&str> = clauses(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(parts, ["鍥犵偤", "閫欎簺?", "ab"]);
    }
}

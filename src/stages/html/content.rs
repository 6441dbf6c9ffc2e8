//! Main content: score every kept element in one linear pass and pick the subtree that holds the
//! most prose and the least chrome.
//!
//! Each block is prose (enough Han characters, Chinese sentence punctuation or a long run, few link
//! characters) or chrome. An element's score is the prose it contains minus weighted chrome and link
//! text: the maximum-score subtree is the article with its sibling paragraphs and without the
//! navigation around it. Known content containers (`#endText`, `.TRS_Editor`, …) take precedence when
//! they hold enough prose; blocks inside the chosen subtree under class/id vocabulary of chrome
//! (`xgwz`, `tuijian`, `gg`, …) or inside link farms are dropped.

use scraper::ElementRef;

use super::blocks::{Guard, Page, Spared, label};
use super::clean::{Matcher, attr, classes};
use super::kinds::{HtmlKind, html_rules};
use super::posts::Posts;
use super::prose::{DomProse, holds_most};
use super::vocabulary::Vocabulary;
use crate::error::RuleError;
use crate::rules::RuleSet;
use crate::rules::settings::HtmlSettings;

/// What the walk needs to know about an element's class and id.
#[derive(Debug, Clone, Copy, Default)]
pub struct ElementClass {
    /// The element's class or id names chrome (`xgwz`, `tuijian`, `comment`, …).
    pub chrome: Option<usize>,
    /// The known-container rule it matches (the one with the highest priority).
    pub container: Option<usize>,
}

struct Container {
    id: String,
    selector: Matcher,
    priority: i64,
    min_units: u32,
    /// Share of the scorer's choice's prose the container must hold.
    min_share: f64,
}

struct LinkFarm {
    id: String,
    min_links: u32,
    min_link_ratio: f64,
}

pub struct ContentRules {
    /// The id of the scorer's rule (kind `main-content`): what its decisions are reported under.
    pub main_id: String,
    vocabularies: Vec<Vocabulary>,
    containers: Vec<Container>,
    link_farm: Option<LinkFarm>,
    posts: Option<Posts>,
    settings: HtmlSettings,
}

/// The main-content decision for one page.
pub struct Choice {
    pub container: Option<usize>,
    /// The content-container rule that chose it, when a known container did.
    pub by_rule: Option<String>,
    /// Indices of the kept blocks, in document order.
    pub kept: Vec<usize>,
    /// Rule ids and texts of blocks dropped inside the container.
    pub dropped_inside: Vec<(String, usize)>,
    /// Link farms not dropped because they hold too much of the page's prose.
    pub spared: Vec<Spared>,
}

impl Choice {
    pub fn summary(&self, page: &Page, html: &scraper::Html) -> String {
        let total: u32 = page.blocks.iter().map(|b| b.units).sum();
        let kept: u32 = self.kept.iter().map(|&i| page.blocks[i].units).sum();
        let container = self
            .container
            .and_then(|c| html.tree.get(page.elements[c].node))
            .and_then(ElementRef::wrap)
            .map_or("none".to_string(), |e| label(&e));
        format!(
            "main content {container}: kept {} of {} blocks ({kept} of {total} units)",
            self.kept.len(),
            page.blocks.len()
        )
    }
}

impl ContentRules {
    pub fn from_rules(rules: &RuleSet) -> Result<Self, RuleError> {
        let settings: HtmlSettings = rules.settings()?;
        let mut content = ContentRules {
            main_id: "html.main-content".to_string(),
            vocabularies: Vec::new(),
            containers: Vec::new(),
            link_farm: None,
            posts: None,
            settings,
        };
        for (rule, kind) in html_rules(rules)? {
            match kind {
                HtmlKind::ClassVocabulary { words } => {
                    content.vocabularies.push(Vocabulary::compile(rule, words)?);
                }
                HtmlKind::ContentContainer {
                    selectors,
                    priority,
                    min_units,
                    min_share,
                } => content.containers.push(Container {
                    id: rule.id.clone(),
                    selector: Matcher::parse(rule, &selectors)?,
                    priority,
                    min_units,
                    min_share,
                }),
                HtmlKind::LinkFarm {
                    min_links,
                    min_link_ratio,
                } => {
                    content.link_farm = Some(LinkFarm {
                        id: rule.id.clone(),
                        min_links,
                        min_link_ratio,
                    });
                }
                HtmlKind::MainContent {} => content.main_id = rule.id.clone(),
                HtmlKind::Posts { .. } => {
                    content.posts = Posts::from_rule(rule, &kind).transpose()?
                }
                _ => {}
            }
        }
        Ok(content)
    }

    /// The prose guard of the walk, measured on `html`.
    pub fn guard(&self, html: &scraper::Html) -> Guard {
        Guard {
            prose: DomProse::measure(html),
            max_share: self.settings.protect_prose_share,
        }
    }

    pub fn max_link_ratio(&self) -> f64 {
        self.settings.max_link_ratio
    }

    /// Whether a block counts as prose for the scorer.
    pub fn is_prose(&self, block: &super::blocks::Block) -> bool {
        let s = &self.settings;
        block.units >= s.min_prose_units
            && (block.punct > 0 || block.units >= s.long_units)
            && block.link_ratio() <= s.max_link_ratio
    }

    /// Classify an element by its class and id while the tree is walked.
    pub fn classify(&self, element: &ElementRef) -> ElementClass {
        let value = element.value();
        let names = attr(value, "id").into_iter().chain(classes(value));
        let mut class = ElementClass::default();
        for name in names {
            if class.chrome.is_none() {
                class.chrome = self.vocabularies.iter().position(|v| v.names_chrome(name));
            }
        }
        class.container = self
            .containers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.selector.matches(element))
            .max_by_key(|(_, c)| c.priority)
            .map(|(i, _)| i);
        class
    }

    /// Chrome class or id names on the ancestors of the page's prose centre (the best subtree
    /// with names ignored) that hold most of the page's prose are not applied, and are recorded
    /// as spared: `<body class="nav-bar">` would otherwise make the whole article chrome. A
    /// chrome-named block beside the article (a long comment thread) still counts as chrome.
    pub fn spare_article_ancestors(&self, page: &mut Page) {
        let scores = self.score(page, Classes::Ignored);
        let Some(centre) = top_scored(page, &scores) else {
            return;
        };
        let mut at = page.elements[centre].parent;
        while let Some(a) = at {
            let element = &mut page.elements[a];
            if let Some(vocabulary) = element.class.chrome
                && holds_most(
                    element.dom_prose,
                    page.prose_total,
                    self.settings.protect_prose_share,
                )
            {
                element.class.chrome = None;
                page.spared.push(Spared {
                    rule: self.vocabularies[vocabulary].id.clone(),
                    element: a,
                });
            }
            at = page.elements[a].parent;
        }
    }

    /// Pick the main-content subtree and the blocks kept from it.
    pub fn choose(&self, page: &Page) -> Choice {
        let scores = self.score(page, Classes::Applied);
        let Some((container, by_rule)) = self.best(page, &scores) else {
            return Choice {
                container: None,
                by_rule: None,
                kept: Vec::new(),
                dropped_inside: Vec::new(),
                spared: Vec::new(),
            };
        };
        let mut choice = self.keep(page, &scores, container);
        for sibling in self.prose_siblings(page, &scores, container) {
            let extra = self.keep(page, &scores, sibling);
            choice.kept.extend(extra.kept);
            choice.dropped_inside.extend(extra.dropped_inside);
            choice.spared.extend(extra.spared);
        }
        choice.kept.sort_unstable();
        Choice { by_rule, ..choice }
    }

    /// A forum or Q&A thread (see [`Posts`]): every post of the thread the content is part of is
    /// kept, and the engine's widget lines inside the posts are dropped. Says what it did.
    pub fn settle_thread(
        &self,
        page: &Page,
        html: &scraper::Html,
        choice: &mut Choice,
    ) -> Option<(String, String)> {
        let posts = self.posts.as_ref()?;
        let container = choice.container?;
        let chrome = chrome_below(page, 0, page.elements.len());
        let min_prose = f64::from(self.settings.min_prose_units);
        let content = container..page.elements[container].end;
        // Content under a chrome name was chosen with names ignored (the fallback took Douban's
        // `div#comments`): the names inside it are the content's own.
        let named_content = chrome[container].is_some();
        let scores = self.score(
            page,
            if named_content {
                Classes::Ignored
            } else {
                Classes::Applied
            },
        );
        let is_named = |e: usize| chrome[e].is_some() && !(named_content && content.contains(&e));
        // A post holds prose, and is not under a chrome name: a blog's comment thread stays out.
        let is_post = |e: usize| scores.prose[e] >= min_prose && !is_named(e);
        let thread = posts.thread(page, container, &is_post)?;
        let before = choice.kept.len();
        for &post in &thread {
            let holds_content = (post..page.elements[post].end).contains(&container);
            // A short reply (`同质化太严重了`) is no prose, and still a post.
            if !content.contains(&post) && !holds_content && !is_named(post) {
                let extra = self.keep(page, &scores, post);
                choice.kept.extend(extra.kept);
                choice.dropped_inside.extend(extra.dropped_inside);
                choice.spared.extend(extra.spared);
            }
        }
        choice.kept.sort_unstable();
        choice.kept.dedup();
        let added = choice.kept.len() - before;
        let widgets = posts.widgets(page, &thread, &choice.kept, &|b| self.is_prose(b));
        choice.kept.retain(|b| widgets.binary_search(b).is_err());
        let first = html
            .tree
            .get(page.elements[thread[0]].node)
            .and_then(ElementRef::wrap)
            .map_or_else(String::new, |e| label(&e));
        let message = format!(
            "thread of {} posts ({first}, …): {added} blocks of other posts kept, {} widget and \
             stamp lines dropped",
            thread.len(),
            widgets.len()
        );
        choice
            .dropped_inside
            .extend(widgets.into_iter().map(|b| (posts.id.clone(), b)));
        Some((posts.id.clone(), message))
    }

    /// The paragraphs next to the content that are prose through and through (a lead paragraph in a
    /// `p.summary` before `#endText`): on each side, the run of `p` siblings up to the first sibling
    /// with text that is not such a paragraph, skipping empty ones (ad slots, spacers). Boxes (`div`
    /// and the like) are not taken: a sidebar's introduction is prose too.
    fn prose_siblings(&self, page: &Page, scores: &Scores, container: usize) -> Vec<usize> {
        let Some(parent) = page.elements[container].parent else {
            return Vec::new();
        };
        let children = page.children(parent);
        let Some(at) = children.iter().position(|&c| c == container) else {
            return Vec::new();
        };
        let is_prose = |c: usize| {
            page.elements[c].paragraph
                && page.elements[c].class.chrome.is_none()
                && scores.prose[c] >= f64::from(self.settings.min_prose_units)
                && scores.chrome[c] == 0.0
        };
        let run = |side: &mut dyn Iterator<Item = &usize>| -> Vec<usize> {
            side.filter(|&&c| scores.units[c] > 0)
                .take_while(|&&c| is_prose(c))
                .copied()
                .collect()
        };
        let mut siblings = run(&mut children[..at].iter().rev());
        siblings.extend(run(&mut children[at + 1..].iter()));
        siblings
    }

    /// Per element, summed over its subtree: prose units, chrome cost, units, link units, links.
    fn score(&self, page: &Page, classes: Classes) -> Scores {
        let n = page.elements.len();
        let mut scores = Scores {
            prose: vec![0.0; n],
            chrome: vec![0.0; n],
            units: vec![0; n],
            link_units: vec![0; n],
            links: page.elements.iter().map(|e| e.links).collect(),
        };
        let chrome_class = match classes {
            Classes::Applied => chrome_below(page, 0, n),
            Classes::Ignored => vec![None; n],
        };
        for block in &page.blocks {
            let e = block.element;
            // Links inside a sentence are part of it; links elsewhere are navigation.
            if self.is_prose(block) && chrome_class[e].is_none() {
                scores.prose[e] += f64::from(block.units);
            } else {
                let links = f64::from(block.link_units);
                let text = f64::from(block.units - block.link_units);
                scores.chrome[e] += links * self.settings.link_weight;
                scores.chrome[e] += text * self.settings.chrome_weight;
            }
            scores.units[e] += block.units;
            scores.link_units[e] += block.link_units;
        }
        // Children come after their parents in pre-order: sum backwards.
        for i in (0..n).rev() {
            if let Some(p) = page.elements[i].parent {
                scores.prose[p] += scores.prose[i];
                scores.chrome[p] += scores.chrome[i];
                scores.units[p] += scores.units[i];
                scores.link_units[p] += scores.link_units[i];
                scores.links[p] += scores.links[i];
            }
        }
        scores
    }

    /// The lowest ancestor of `chosen` that holds many times its prose, at a fair share of its own
    /// text: an article made of lists and tables scores below a small prose box inside it.
    fn widen(&self, page: &Page, scores: &Scores, chosen: usize) -> usize {
        let s = &self.settings;
        let mut at = page.elements[chosen].parent;
        while let Some(a) = at {
            if scores.prose[a] >= s.widen_prose_ratio * scores.prose[chosen]
                && scores.prose[a] >= s.widen_min_prose_share * f64::from(scores.units[a])
            {
                return a;
            }
            at = page.elements[a].parent;
        }
        chosen
    }

    /// The element with the best net score, unless a known container with enough of its prose
    /// takes precedence; the root when no element holds prose (the page keeps its non-link text).
    fn best(&self, page: &Page, scores: &Scores) -> Option<(usize, Option<String>)> {
        let Some(scored) = top_scored(page, scores) else {
            return (!page.elements.is_empty()).then_some((0, None));
        };
        let scored = self.widen(page, scores, scored);
        let known = page
            .elements
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((i, self.containers.get(e.class.container?)?)))
            .filter(|(i, c)| {
                scores.prose[*i] >= f64::from(c.min_units)
                    && scores.prose[*i] >= c.min_share * scores.prose[scored]
            })
            .max_by(|a, b| {
                a.1.priority
                    .cmp(&b.1.priority)
                    .then(scores.prose[a.0].total_cmp(&scores.prose[b.0]))
            });
        match known {
            Some((i, c)) => Some((i, Some(c.id.clone()))),
            None => Some((scored, None)),
        }
    }

    fn keep(&self, page: &Page, scores: &Scores, container: usize) -> Choice {
        let end = page.elements[container].end;
        let chrome = chrome_below(page, container, end);
        let (farms, spared) = self.farms_below(page, scores, container, end);
        let mut kept = Vec::new();
        let mut dropped_inside = Vec::new();
        let mut prose_above = false;
        for (index, block) in page.blocks.iter().enumerate() {
            let e = block.element;
            if !(container..end).contains(&e) {
                continue;
            }
            let above = prose_above;
            let is_heading = || above && self.is_link_heading(page, scores, index, container);
            prose_above |= self.is_prose(block);
            let local = e - container;
            if let Some(v) = chrome[local] {
                dropped_inside.push((self.vocabularies[v].id.clone(), index));
            } else if let Some(rule) = &farms[local] {
                dropped_inside.push((rule.clone(), index));
            } else if block.link_ratio() > self.settings.max_link_ratio && !is_heading() {
                dropped_inside.push((self.main_id.clone(), index));
            } else {
                kept.push(index);
            }
        }
        Choice {
            container: Some(container),
            by_rule: None,
            kept,
            dropped_inside,
            spared,
        }
    }

    /// A linked subheading inside the article (`<p><a href=…>證監會：繼續推進…</a></p>` over the
    /// paragraph it links to the full story of): a title-length block that is one link, right
    /// before a prose block of the content (the subtree of `root`), and with prose above it (the
    /// caller knows). A related-links list is followed by more links, not by prose; a post
    /// title linked to its permalink has no prose above it.
    fn is_link_heading(&self, page: &Page, scores: &Scores, index: usize, root: usize) -> bool {
        let block = &page.blocks[index];
        let content = root..page.elements[root].end;
        let prose_next = || {
            page.blocks
                .get(index + 1)
                .is_some_and(|b| content.contains(&b.element) && self.is_prose(b))
        };
        block.link_units == block.units
            && scores.links[block.element] == 1
            && block.units >= self.settings.min_prose_units
            && block.units < self.settings.long_units
            && prose_next()
    }

    /// For each element of `root..end` (indexed from `root`), the link-farm rule when it or an
    /// ancestor below `root` is a link farm; and the farms spared because they hold too much of
    /// the page's prose.
    fn farms_below(
        &self,
        page: &Page,
        scores: &Scores,
        root: usize,
        end: usize,
    ) -> (Vec<Option<String>>, Vec<Spared>) {
        let mut farms: Vec<Option<String>> = vec![None; end - root];
        let mut spared = Vec::new();
        let Some(rule) = &self.link_farm else {
            return (farms, spared);
        };
        for i in root + 1..end {
            let inherited = page.elements[i]
                .parent
                .filter(|&p| p > root)
                .and_then(|p| farms[p - root].clone());
            // A wrapper of the article and a big link list can pass the ratio: an element holding
            // a paragraph's worth of prose is never a farm.
            let is_farm = scores.links[i] >= rule.min_links
                && f64::from(scores.link_units[i])
                    >= rule.min_link_ratio * f64::from(scores.units[i].max(1))
                && scores.prose[i] < f64::from(self.settings.long_units);
            let protected = holds_most(
                page.elements[i].dom_prose,
                page.prose_total,
                self.settings.protect_prose_share,
            );
            if inherited.is_none() && is_farm && protected {
                spared.push(Spared {
                    rule: rule.id.clone(),
                    element: i,
                });
            }
            farms[i - root] =
                inherited.or_else(|| (is_farm && !protected).then(|| rule.id.clone()));
        }
        (farms, spared)
    }
}

struct Scores {
    prose: Vec<f64>,
    chrome: Vec<f64>,
    units: Vec<u32>,
    link_units: Vec<u32>,
    links: Vec<u32>,
}

impl Scores {
    fn net(&self, i: usize) -> f64 {
        self.prose[i] - self.chrome[i]
    }
}

/// Whether the scorer counts blocks under chrome class or id names as chrome.
#[derive(Clone, Copy)]
enum Classes {
    Applied,
    Ignored,
}

/// The element with the best net score among those holding prose; ties go to the later, deeper
/// element: the smallest subtree with that score.
fn top_scored(page: &Page, scores: &Scores) -> Option<usize> {
    (0..page.elements.len())
        .filter(|&i| scores.prose[i] > 0.0)
        .max_by(|&a, &b| scores.net(a).total_cmp(&scores.net(b)).then(a.cmp(&b)))
}

/// For each element of `root..end` (indexed from `root`), the vocabulary that names it or an
/// ancestor below `root` as chrome.
fn chrome_below(page: &Page, root: usize, end: usize) -> Vec<Option<usize>> {
    let mut chrome = vec![None; end.saturating_sub(root)];
    for i in root + 1..end {
        let inherited = page.elements[i]
            .parent
            .filter(|&p| p > root)
            .and_then(|p| chrome[p - root]);
        chrome[i - root] = inherited.or(page.elements[i].class.chrome);
    }
    chrome
}

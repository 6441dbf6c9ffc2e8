//! The parse, with where each element came from in the markup: the byte range from its start tag
//! to the end of its content and its own end tag, so that what the stage removes can be reported as
//! byte ranges of its input, as the text stages report theirs.
//!
//! html5ever's tree builder records no source positions, and no maintained crate adds them to the
//! tree it builds (html5gum and lol_html have spans, but their own parsers, whose trees would not be
//! html5ever's). So the parse is html5ever's own tokenizer and tree builder, driven here as
//! `scraper::Html::parse_document` drives them, with two thin wrappers: the token sink notes where
//! each token ends (the input consumed so far), and the tree sink notes, for each node, the token
//! that created it and the last token that appended to it. An element's range runs from the start
//! of the token that created it (its start tag) to the end of the last token that added to its
//! subtree, and over its own end tag when that follows. Elements the tree builder makes up (an
//! implied `tbody`, a reopened `b`) get the range of the token that made them.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::ops::Range;

use ego_tree::NodeId;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, Token, TokenSink, TokenSinkResult, Tokenizer};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeBuilder, TreeSink};
use html5ever::{Attribute, ParseOpts, QualName};
use rustc_hash::FxHashMap;
use scraper::{Html, HtmlTreeSink};

use super::elide::{Offsets, elide};

/// A parsed page and where its elements came from.
pub struct Parsed {
    pub html: Html,
    /// Per node: the start of the token that created it, and the end of the last token that
    /// appended to it (in bytes of the markup that was parsed).
    nodes: FxHashMap<NodeId, (usize, usize)>,
    /// Positions in the parsed markup mapped back to the markup as given.
    offsets: Offsets,
}

/// Parse `markup`, with the bodies of the `elided` elements cut (see [`elide`]), and keep where
/// each node came from.
pub fn parse(markup: &str, elided: &[String]) -> Parsed {
    let (parsed, offsets) = elide(markup, elided);
    let parsed = parsed.as_ref();
    let opts = ParseOpts::default();
    let queue = BufferQueue::default();
    let tokens = Tokens {
        builder: TreeBuilder::new(
            Positions {
                inner: HtmlTreeSink::new(Html::new_document()),
                token: Cell::new((0, 0)),
                nodes: RefCell::default(),
            },
            opts.tree_builder,
        ),
        queue: &queue,
        held: BufferQueue::default(),
        len: parsed.len(),
    };
    let tokenizer = Tokenizer::new(tokens, opts.tokenizer);
    queue.push_back(StrTendril::from_slice(parsed));
    // The tokenizer stops at each script and encoding declaration; the markup is already decoded
    // and no script runs, so go on, as `Html::parse_document` does.
    while !matches!(tokenizer.feed(&queue), html5ever::TokenizerResult::Done) {}
    tokenizer.end();
    let Positions { inner, nodes, .. } = tokenizer.sink.builder.sink;
    Parsed {
        html: inner.finish(),
        nodes: nodes.into_inner(),
        offsets,
    }
}

impl Parsed {
    /// Where the token that created `element` starts in `markup` (as given to [`parse`]): its
    /// start tag.
    pub fn start(&self, element: &scraper::ElementRef, markup: &str) -> usize {
        self.nodes.get(&element.id()).map_or(0, |&(start, _)| {
            tag_start(markup, self.offsets.original(start))
        })
    }

    /// The byte range of `markup` (as given to [`parse`]) that `element` came from: its start
    /// tag, its content, and its own end tag when that follows the content.
    pub fn span(&self, element: &scraper::ElementRef, markup: &str) -> Range<usize> {
        let start = self.start(element, markup);
        let end = element
            .descendants()
            .filter_map(|node| self.nodes.get(&node.id()))
            .map(|&(_, end)| self.offsets.original(end))
            .max()
            .unwrap_or(start)
            .clamp(start, markup.len());
        start..end + own_end_tag(&markup[end..], element.value().name())
    }
}

/// The start of the tag at or after `token` (a token's start): the LF of a CR LF before a tag is
/// read with the tag, the CR having been read as a line end.
fn tag_start(markup: &str, token: usize) -> usize {
    let token = token.min(markup.len());
    let rest = &markup.as_bytes()[token..];
    let blank = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
    if rest.get(blank) == Some(&b'<') {
        token + blank
    } else {
        token
    }
}

/// The length of `</name …>` at the start of `rest` (any case), or 0.
fn own_end_tag(rest: &str, name: &str) -> usize {
    let bytes = rest.as_bytes();
    let after = 2 + name.len();
    let names_it = bytes.starts_with(b"</")
        && bytes
            .get(2..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
        && bytes
            .get(after)
            .is_some_and(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>');
    if !names_it {
        return 0;
    }
    memchr::memchr(b'>', &bytes[after..]).map_or(0, |gt| after + gt + 1)
}

/// The token sink between the tokenizer and the tree builder: notes the range of each token.
struct Tokens<'q> {
    builder: TreeBuilder<NodeId, Positions>,
    queue: &'q BufferQueue,
    /// An empty queue to count the chunks of `queue` through, kept so that counting allocates
    /// nothing: a new queue per token cost a `VecDeque` allocation for every tag and text.
    held: BufferQueue,
    /// Bytes of markup fed.
    len: usize,
}

impl Tokens<'_> {
    /// Bytes consumed so far: what was fed less what is left in the queue. The queue has one
    /// chunk unless the tokenizer gave some characters back, so this is cheap.
    fn consumed(&self) -> usize {
        self.queue.swap_with(&self.held);
        let mut left = 0;
        while let Some(chunk) = self.held.pop_front() {
            left += chunk.len();
            self.queue.push_back(chunk);
        }
        self.len - left
    }
}

impl TokenSink for Tokens<'_> {
    type Handle = NodeId;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<NodeId> {
        // Parse errors are reported in the middle of other tokens.
        if !matches!(token, Token::ParseError(_)) {
            let end = self.consumed();
            let start = self.builder.sink.token.get().1.min(end);
            self.builder.sink.token.set((start, end));
        }
        self.builder.process_token(token, line_number)
    }

    fn end(&self) {
        self.builder.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// scraper's tree sink, noting which token created each node and which last appended to it.
struct Positions {
    inner: HtmlTreeSink,
    /// The start and end of the token being processed.
    token: Cell<(usize, usize)>,
    nodes: RefCell<FxHashMap<NodeId, (usize, usize)>>,
}

impl Positions {
    fn created(&self, node: NodeId) -> NodeId {
        self.nodes.borrow_mut().insert(node, self.token.get());
        node
    }

    fn appended_to(&self, parent: NodeId) {
        let (start, end) = self.token.get();
        let mut nodes = self.nodes.borrow_mut();
        let entry = nodes.entry(parent).or_insert((start, end));
        entry.1 = entry.1.max(end);
    }

    fn parent_of(&self, node: NodeId) -> Option<NodeId> {
        let html = self.inner.0.borrow();
        html.tree.get(node)?.parent().map(|p| p.id())
    }
}

impl TreeSink for Positions {
    type Handle = NodeId;
    type Output = Self;
    type ElemName<'a> = <HtmlTreeSink as TreeSink>::ElemName<'a>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg);
    }

    fn get_document(&self) -> NodeId {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Self::ElemName<'a> {
        self.inner.elem_name(target)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        self.created(self.inner.create_element(name, attrs, flags))
    }

    fn create_comment(&self, text: StrTendril) -> NodeId {
        self.created(self.inner.create_comment(text))
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> NodeId {
        self.created(self.inner.create_pi(target, data))
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        self.appended_to(*parent);
        self.inner.append(parent, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        // scraper's own implementation calls its `append` or `append_before_sibling`, not ours.
        match self.parent_of(*element) {
            Some(parent) => self.appended_to(parent),
            None => self.appended_to(*prev_element),
        }
        self.inner
            .append_based_on_parent_node(element, prev_element, child);
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }

    fn mark_script_already_started(&self, node: &NodeId) {
        self.inner.mark_script_already_started(node);
    }

    fn pop(&self, node: &NodeId) {
        self.inner.pop(node);
    }

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.inner.get_template_contents(target)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        self.inner.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        if let Some(parent) = self.parent_of(*sibling) {
            self.appended_to(parent);
        }
        self.inner.append_before_sibling(sibling, new_node);
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }

    fn associate_with_form(
        &self,
        target: &NodeId,
        form: &NodeId,
        nodes: (&NodeId, Option<&NodeId>),
    ) {
        self.inner.associate_with_form(target, form, nodes);
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.inner.remove_from_parent(target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        self.appended_to(*new_parent);
        self.inner.reparent_children(node, new_parent);
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &NodeId) -> bool {
        self.inner
            .is_mathml_annotation_xml_integration_point(handle)
    }

    fn set_current_line(&self, line_number: u64) {
        self.inner.set_current_line(line_number);
    }

    fn allow_declarative_shadow_roots(&self, intended_parent: &NodeId) -> bool {
        self.inner.allow_declarative_shadow_roots(intended_parent)
    }

    fn attach_declarative_shadow(
        &self,
        location: &NodeId,
        template: &NodeId,
        attrs: &[Attribute],
    ) -> bool {
        self.inner
            .attach_declarative_shadow(location, template, attrs)
    }

    fn maybe_clone_an_option_into_selectedcontent(&self, option: &NodeId) {
        self.inner
            .maybe_clone_an_option_into_selectedcontent(option);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGES: &[&str] = &[
        "<text id=a>\r\n\r\n<html><head><meta http-equiv=content-type content=\"text/html; charset=gbk\">\
         <script>if (a < b) {}</script></head><body><p>正文&amp;<b>粗<p>再</b>一段</p></body>",
        "<table><tr><td>格</td>漂<div hidden>藏</div></table>後",
        "<ul><li class=ad>廣告<li>項</ul><p>a<div style=display:none>x</div>b</p>",
    ];

    #[test]
    fn the_tree_is_scrapers() {
        for page in PAGES {
            assert_eq!(
                parse(page, &[]).html.html(),
                Html::parse_document(page).html(),
                "{page}"
            );
        }
    }

    /// The markup of the first element named `name`.
    fn markup_of<'m>(page: &'m str, name: &str, elided: &[String]) -> &'m str {
        let parsed = parse(page, elided);
        let selector = scraper::Selector::parse(name).unwrap();
        let element = parsed.html.select(&selector).next().unwrap();
        &page[parsed.span(&element, page)]
    }

    #[test]
    fn an_element_spans_its_tags_and_content() {
        let page = PAGES[0];
        assert_eq!(
            markup_of(page, "script", &[]),
            "<script>if (a < b) {}</script>"
        );
        // The second `<p>` closes the first, and with it the `b` (reopened inside the new one).
        assert_eq!(markup_of(page, "b", &[]), "<b>粗");
        assert_eq!(markup_of(PAGES[1], "div", &[]), "<div hidden>藏</div>");
        assert_eq!(markup_of(PAGES[2], "li", &[]), "<li class=ad>廣告");
        assert_eq!(
            markup_of(PAGES[2], "div", &[]),
            "<div style=display:none>x</div>"
        );
    }

    #[test]
    fn a_span_starts_at_its_tag_after_a_crlf() {
        assert_eq!(
            markup_of("<body>\r\n<div hidden>x</div>\r\n</body>", "div", &[]),
            "<div hidden>x</div>"
        );
    }

    #[test]
    fn spans_are_in_the_markup_as_given_when_bodies_are_elided() {
        let js = "x".repeat(2_000);
        let page = format!("<p>前</p><script>{js}</script><p>後</p>");
        let elided = ["script".to_string()];
        assert_eq!(
            markup_of(&page, "script", &elided),
            format!("<script>{js}</script>")
        );
    }
}

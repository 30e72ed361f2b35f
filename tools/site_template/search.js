// The search box of every page: lunr (Debian's libjs-lunr) over the sections of this edition's pages,
// listed in search-index.js by make html. Chinese has no spaces between words, so a run of Han
// characters is indexed as its single characters and its pairs, and a query looks up its pairs.
(() => {
  const box = document.getElementById('search'), list = document.getElementById('results');
  const words = (text, query) => (text.toLowerCase().match(/\p{Script=Han}+|[\p{L}\p{N}_]+/gu) || []).flatMap(run => {
    if (!/\p{Script=Han}/u.test(run)) return [run];
    const chars = Array.from(run), pairs = chars.slice(1).map((c, k) => chars[k] + c);
    return query ? (pairs.length ? pairs : chars) : chars.concat(pairs);
  });
  let index;
  const build = () => lunr(function () {
    this.tokenizer = text => words(String(text ?? ''), false).map(word => new lunr.Token(word, {}));
    this.pipeline.reset();
    this.searchPipeline.reset();
    this.pipeline.add(lunr.stemmer);  // the stemmer leaves words of one or two characters alone
    this.searchPipeline.add(lunr.stemmer);
    this.ref('k');
    this.field('t', {boost: 5});
    this.field('x');
    COURSE_SEARCH.forEach((section, k) => this.add({k, t: section.t, x: section.x}));
  });
  const item = (...children) => { const li = document.createElement('li'); li.append(...children); return li; };
  box.addEventListener('input', () => {
    const query = box.value.trim(), terms = words(query, true);
    index = index || build();
    const hits = terms.length ? index.query(q => terms.forEach(term =>
      q.term(term, {presence: lunr.Query.presence.REQUIRED}))).slice(0, 30) : [];
    list.hidden = !query;
    list.replaceChildren(...hits.map(hit => {
      const section = COURSE_SEARCH[hit.ref], link = document.createElement('a'), excerpt = document.createElement('small');
      link.href = section.u;
      link.textContent = `${section.p} › ${section.t}`;
      const at = Math.max(0, section.x.toLowerCase().indexOf(query.toLowerCase().split(/\s+/)[0]));
      excerpt.textContent = (at > 40 ? '…' : '') + section.x.slice(Math.max(0, at - 40), at + 100) + '…';
      return item(link, excerpt);
    }));
    if (query && !hits.length) list.append(item(box.dataset.none));
  });
})();

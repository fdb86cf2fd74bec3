// The render domain: turns a state snapshot into markup. It runs in the 'rendering' loop only.
export async function page(state) {
  // An await stands for async rendering work (templates loaded on demand, streamed parts).
  const items = await Promise.all(state.items.map(async (item) => `<li>${item}</li>`));
  return `<ul data-version="${state.version}">${items.join('')}</ul>`;
}

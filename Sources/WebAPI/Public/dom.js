// Building DOM from parts, never by parsing HTML: every piece of server data reaches the page as a text node
// or an attribute value, so nothing it contains can become markup or script.

/** h('td', {class: 'num', data: {value: 3}}, 'text', childNode) */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'data') for (const [name, v] of Object.entries(value)) node.dataset[name] = String(v);
    else if (key === 'on') for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces a node's children. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A message shown in place of missing content, with the reason. */
export function note(text, kind = 'muted') {
  return h('p', { class: kind }, text);
}

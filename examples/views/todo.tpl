% rebase('layout', { title: 'Todo' })
% setdefault('done', 0)
<h1>{{items.length}} items, {{done}} done</h1>
% if (items.length === 0):
<p>Nothing to do.</p>
% else:
<ul>
  % for (const item of items):
  <li>{{item.title}}{{!item.done ? ' &#10003;' : ''}}</li>
  % end
</ul>
% end

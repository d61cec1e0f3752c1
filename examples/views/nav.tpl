<nav>
% for (const [href, label] of [['/', 'Home'], ['/todo', 'Todo']]):
  <a href="{{href}}"{{!label === active ? ' class="active"' : ''}}>{{label}}</a>
% end
</nav>

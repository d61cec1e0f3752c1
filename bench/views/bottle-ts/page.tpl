% rebase('layout', { title })
% include('header', { title })
<table>
% for (const row of rows) {
<tr><td>{{row.id}}</td><td>{{row.name}}</td><td>{{row.price}}</td></tr>
% }
</table>

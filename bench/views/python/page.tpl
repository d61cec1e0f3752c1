% rebase('layout', title=title)
% include('header', title=title)
<table>
% for row in rows:
<tr><td>{{row['id']}}</td><td>{{row['name']}}</td><td>{{row['price']}}</td></tr>
% end
</table>

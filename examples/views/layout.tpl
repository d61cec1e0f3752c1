<!DOCTYPE html>
<html>
<head><title>{{title}}</title></head>
<body>
% include('nav', { active: title })
{{!base}}
</body>
</html>

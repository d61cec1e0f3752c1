<!DOCTYPE html>
<html><head><title>{{title}}</title></head>
<body>
{{!base}}
</body></html>

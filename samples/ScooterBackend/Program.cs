using ScooterBackend;

var app = ScooterApp.Build(args);
app.Run();

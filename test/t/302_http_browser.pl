# 302_http_browser.pl — the dashboard in real headless Chromium, driven
# through the DevTools protocol by test/browser/dashboard_test.py: sign in,
# create an app and a configuration, deploy it against the Marathon
# emulator, see "running" arrive without a reload, undeploy, page through
# 120 apps, open a run.  Screenshots: test/results/browser/*.png.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

require "$FindBin::Bin/300_http_helpers.pm";

my $chromium = -x '/usr/bin/chromium' ? '/usr/bin/chromium' : undef;
plan skip_all => 'Debian\'s chromium is not installed (test/install-deps.sh installs it)' unless $chromium;
plan skip_all => 'python3-websocket is not installed (test/install-deps.sh installs it)'
  unless system('/usr/bin/python3', '-c', 'import websocket') == 0;

my $emu = RegistryTest::start_emulator(deploy_seconds => 0.5);
my ($node, $base) = HttpTest::new_node('http_browser', $emu);
$node->safe_psql('postgres', q{
	SET ROLE carol;
	INSERT INTO automl.apps (name, image, description)
	SELECT 'app-' || lpad(i::text, 3, '0'), 'hbpmip/app:' || i, 'demo app ' || i FROM generate_series(1, 120) i;
	RESET ROLE;
	INSERT INTO automl.runs (relation, target, task, metric, greater_is_better, cv_folds, test_size, seed,
	                         search_space, status, started_at, owner, cv_score, evaluated, name)
	VALUES ('iris', 'species', 'classification', 'accuracy', true, 5, 0.2, 1, 'default', 'succeeded', now(),
	        'alice'::regrole, 0.96, 40, 'iris demo');
	INSERT INTO automl.pipelines (run_id, number, phase, estimator, spec, mean_score, std_score, status, fit_seconds, description)
	SELECT (SELECT max(id) FROM automl.runs), i, 'random', 'tree', '{}', 0.6 + 0.36 * (1 - exp(-i / 8.0)) * (0.9 + 0.1 * sin(i)),
	       0.02, 'ok', 0.05 + (i % 7) / 50.0, 'pipeline ' || i
	FROM generate_series(1, 40) i;
});

my $out = "$ENV{TESTDIR}/results/browser";
mkdir "$ENV{TESTDIR}/results";
mkdir $out;
unlink glob("$out/*.png");
my $home = PostgreSQL::Test::Utils::tempdir();
my ($stdout, $stderr) = ('', '');
my $ok = IPC::Run::run(
	[ '/usr/bin/python3', "$ENV{TESTDIR}/browser/dashboard_test.py", '--base', $base, '--user', 'alice',
	  '--password', $HttpTest::PW{alice}, '--out', $out ],
	'>', \$stdout, '2>', \$stderr,
	init => sub { $ENV{HOME} = $home; },
	IPC::Run::timeout(300));
note($stdout);
diag($stderr) if !$ok && $stderr;
ok($ok, 'every step of the browser test passed');
like($stdout, qr/status reached running without reloading/, 'the deployment reached running live');
like($stdout, qr/undeployed/, 'and was undeployed');
like($stdout, qr/second page of apps: 51/, 'pagination');
for my $shot (qw(signin signed-in validation app-created config-created running undeployed deployments run))
{
	my @files = glob("$out/*-$shot.png");
	ok(scalar(@files) == 1 && -s $files[0], "screenshot $shot");
}
is($node->safe_psql('postgres', "SELECT state FROM automl.deployments WHERE app = 'dash-demo' ORDER BY id DESC LIMIT 1"),
	'deleted', 'the database agrees: undeployed');

$node->stop;
done_testing();

# 303_http_tls.pl — the HTTP API over TLS (automl.http_ssl_cert_file and
# automl.http_ssl_key_file): HTTPS answers with the configured certificate,
# credentials are checked the same way, plain HTTP on that port gets no API.
# Also: the HTTP worker connects like the other workers (aml_worker_connect):
# while automl.database does not exist it waits quietly, no FATAL a second.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

require "$FindBin::Bin/300_http_helpers.pm";

plan skip_all => 'openssl and curl are needed' unless -x '/usr/bin/openssl' && -x '/usr/bin/curl';

my $dir = PostgreSQL::Test::Utils::tempdir();
system('/usr/bin/openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=automl-test',
	'-days', '2', '-keyout', "$dir/key.pem", '-out', "$dir/cert.pem", '-addext', 'subjectAltName=IP:127.0.0.1') == 0
  or die 'openssl failed';
chmod 0600, "$dir/key.pem";

my $emu = RegistryTest::start_emulator();
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $node = RegistryTest::new_node('http_tls', $emu,
	'automl.http_listen' => "'127.0.0.1:$port'",
	'automl.http_ssl_cert_file' => "'$dir/cert.pem'",
	'automl.http_ssl_key_file' => "'$dir/key.pem'");
$node->safe_psql('postgres', "CREATE ROLE alice LOGIN PASSWORD 'alice-pw' IN ROLE automl_registry_user");

sub curl
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ '/usr/bin/curl', '-s', '-o', '-', '-w', '\n%{http_code}', '--max-time', '20', @args ],
		'>', \$out, '2>', \$err);
	my ($body, $code) = $out =~ /^(.*)\n(\d+)$/s;
	return ($code // '000', $body // '');
}

my $url = "https://127.0.0.1:$port";
RegistryTest::wait_until('the HTTPS listener', sub {
	my ($code) = curl('--cacert', "$dir/cert.pem", "$url/openapi.json");
	return $code eq '200';
});
my ($code, $body) = curl('--cacert', "$dir/cert.pem", "$url/openapi.json");
is($code, '200', 'HTTPS with the configured certificate (verified by curl)');
like($body, qr/"openapi"/, 'serves the API description');
($code) = curl('--cacert', "$dir/cert.pem", "$url/apps");
is($code, '401', 'no credentials over HTTPS: 401');
($code, $body) = curl('--cacert', "$dir/cert.pem", '-u', 'alice:alice-pw', "$url/apps");
is($code, '200', 'signed in over HTTPS');
like($body, qr/"total"/, 'the list of apps');
($code) = curl("http://127.0.0.1:$port/apps");
isnt($code, '200', "plain HTTP on the TLS port gets no answer from the API ($code)");
like(slurp_file($node->logfile), qr/automl http worker listening on 127\.0\.0\.1:\d+ \(https\)/, 'the log says https');

$node->stop;

# ---------------------------------------------------------------- automl.database missing
{
	my $p2 = PostgreSQL::Test::Cluster::get_free_port();
	my $n2 = PostgreSQL::Test::Cluster->new('http_nodb');
	$n2->init;
	$n2->append_conf('postgresql.conf', "shared_preload_libraries = 'automl'\n"
		. "automl.database = 'later'\nautoml.http_listen = '127.0.0.1:$p2'\n");
	$n2->start;
	my $q = "SELECT pid FROM pg_stat_activity WHERE backend_type = 'automl http worker'";
	my $pid = RegistryTest::wait_until('the HTTP worker to wait', sub {
		my $v = $n2->safe_psql('postgres', $q);
		return $v =~ /^\d+$/ ? $v : undef;
	});
	sleep 3;
	is($n2->safe_psql('postgres', $q), $pid, 'the waiting HTTP worker is the same process 3 s later (no restart loop)');
	my $log = slurp_file($n2->logfile);
	my $fatals = () = $log =~ /FATAL:  database "later" does not exist/g;
	cmp_ok($fatals, '<=', 1, "missing automl.database: one failed connection in all ($fatals), not one a second");
	my $warnings = () = $log =~ /automl.database names database "later", which does not exist/g;
	is($warnings, 1, 'one WARNING');
	$n2->safe_psql('postgres', 'CREATE DATABASE later');
	$n2->safe_psql('later', 'CREATE EXTENSION automl');
	$n2->safe_psql('postgres', 'SELECT pg_reload_conf()');
	RegistryTest::wait_until('the HTTP worker to connect to the new database', sub {
		my $r = HTTP::Tiny->new(timeout => 5)->get("http://127.0.0.1:$p2/openapi.json");
		return $r->{status} == 200;
	});
	pass('the HTTP worker serves once the database exists');
	$n2->stop;
}
done_testing();
